package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
)

// TestAdvisoriesReadTheServer checks Advisories against the server's own
// answer: PostgreSQL warns exactly when autovacuum is off; SQLite never.
func TestAdvisoriesReadTheServer(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		ctx := context.Background()
		s := open(t, e.DSN)
		got, err := s.Advisories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Dialect() != store.Postgres {
			if len(got) != 0 {
				t.Fatalf("SQLite advisories: %q", got)
			}
			return
		}
		setting, err := s.QueryString(ctx, "SHOW autovacuum")
		if err != nil {
			t.Fatal(err)
		}
		warned := len(got) == 1 && strings.Contains(got[0], "autovacuum is off")
		if warned != (setting == "off") {
			t.Fatalf("autovacuum=%s, advisories %q", setting, got)
		}
	})
}
