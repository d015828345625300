package notify_test

import (
	"os"
	"testing"

	"github.com/opentc/tc/internal/store"
)

func TestZZSeedTmp(t *testing.T) {
	p := os.Getenv("ZZ_DB")
	if p == "" {
		t.Skip()
	}
	st, err := store.Open(bg, p, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(bg); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureDefaultRule(bg); err != nil {
		t.Fatal(err)
	}
}
