package e2e

import (
	"fmt"
	"testing"

	"github.com/opentc/tc/internal/testutil"
)

func TestListRoutesTmp(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	for _, r := range d.API().App().GetRoutes(true) {
		fmt.Println(r.Method, r.Path)
	}
}
