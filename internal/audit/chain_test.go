package audit_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/audit"
	"github.com/opentc/tc/internal/keyring"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

var bg = context.Background()

func setup(t *testing.T, dsn string) (*store.Store, *audit.Service, *bytes.Buffer) {
	t.Helper()
	st, err := store.Open(bg, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(bg); err != nil {
		t.Fatal(err)
	}
	buf := &bytes.Buffer{}
	return st, audit.New(st, time.Now, slog.New(slog.NewTextHandler(buf, nil))), buf
}

func ring(t *testing.T, keys ...keyring.Key) *keyring.Ring {
	t.Helper()
	if len(keys) == 0 {
		k, err := keyring.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		keys = []keyring.Key{k}
	}
	r, err := keyring.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func appendN(t *testing.T, s *audit.Service, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := s.Record(bg, tc.AuditEntry{Actor: "root", Action: "POST /api/labels", Outcome: tc.OutcomeSuccess, Status: 201}); err != nil {
			t.Fatal(err)
		}
	}
}

func keyIDs(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	var rows []store.AuditRow
	if err := st.Gorm(bg).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.KeyID]++
	}
	return out
}

// Entries written before the keyed chain (plain SHA-256, no key ID) move to
// it at start, in one transaction, once: a second start does nothing; the
// head logged changes, the chain verifies; a log already pruned before
// pruning was recorded gets its anchor.
func TestMigrateChain(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		st, svc, logs := setup(t, e.DSN)
		appendN(t, svc, 5) // no keys yet: the chain of before
		if ids := keyIDs(t, st); ids[""] != 5 {
			t.Fatalf("legacy entries: %v", ids)
		}
		if _, err := st.PruneAudit(bg, time.Now().Add(time.Hour).UnixMicro()-int64(0)); err != nil {
			t.Fatal(err)
		}
		// Pruned without a key: an unsealed anchor, as an old tcd's
		// pruning is seen; then more entries.
		appendN(t, svc, 4)
		if err := st.Gorm(bg).Exec("DELETE FROM audit_anchor").Error; err != nil {
			t.Fatal(err)
		}
		r := ring(t)
		svc.UseKeys(r)
		if err := svc.MigrateChain(bg); err != nil {
			t.Fatal(err)
		}
		if ids := keyIDs(t, st); ids[r.Primary().ID] != 4 || len(ids) != 1 {
			t.Fatalf("after migration: %v", ids)
		}
		if !strings.Contains(logs.String(), "moved to the keyed chain") || !strings.Contains(logs.String(), "pruned before pruning was recorded") {
			t.Fatalf("migration not logged:\n%s", logs)
		}
		rep, err := svc.Verify(bg, nil)
		if err != nil || !rep.OK || rep.PrunedThrough != 5 || rep.First != 6 {
			t.Fatalf("verify after migration: %+v %v", rep, err)
		}
		before := rep.Head
		logs.Reset()
		if err := svc.MigrateChain(bg); err != nil {
			t.Fatal(err)
		}
		if logs.Len() != 0 {
			t.Fatalf("second migration did something: %s", logs)
		}
		if h, _ := svc.CurrentHead(bg); h != before {
			t.Fatalf("second migration changed the head")
		}
	})
}

// A legacy chain that is already broken is not re-chained (that would hide
// the damage): verify names the broken entry.
func TestMigrateChainRefusesBrokenChain(t *testing.T) {
	st, svc, logs := setup(t, testutil.SQLiteDSN(t))
	appendN(t, svc, 4)
	if err := st.Gorm(bg).Exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").Error; err != nil {
		t.Fatal(err)
	}
	svc.UseKeys(ring(t))
	if err := svc.MigrateChain(bg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "was not moved to the keyed chain") {
		t.Fatalf("not logged: %s", logs)
	}
	if ids := keyIDs(t, st); ids[""] != 4 {
		t.Fatalf("a broken chain was re-chained: %v", ids)
	}
	rep, err := svc.Verify(bg, nil)
	if err != nil || rep.OK || rep.FirstBadSeq != 1 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// Rekey (for `tcd rotate-keys`): after a rotation the ring's primary is new
// and the old key second; Rekey checks every entry with the key it names
// and re-seals the whole chain and the pruning anchor with the new primary,
// in one transaction. A chain that does not verify is not re-keyed.
func TestRekey(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		st, svc, _ := setup(t, e.DSN)
		old := ring(t)
		svc.UseKeys(old)
		appendN(t, svc, 3)
		if _, err := st.PruneAudit(bg, time.Now().Add(time.Hour).UnixMicro()); err != nil {
			t.Fatal(err)
		}
		appendN(t, svc, 3)
		newKey, err := keyring.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		rotated := ring(t, newKey, old.Primary())
		before, _ := svc.CurrentHead(bg)
		if err := svc.Rekey(bg, rotated); err != nil {
			t.Fatal(err)
		}
		if ids := keyIDs(t, st); ids[newKey.ID] != 3 || len(ids) != 1 {
			t.Fatalf("after rekey: %v", ids)
		}
		a, err := st.AuditAnchor(bg)
		if err != nil || a == nil || a.KeyID != newKey.ID {
			t.Fatalf("anchor after rekey: %+v %v", a, err)
		}
		rep, err := svc.Verify(bg, nil)
		if err != nil || !rep.OK || rep.Entries != 3 || rep.PrunedThrough != 3 {
			t.Fatalf("verify after rekey: %+v %v", rep, err)
		}
		if rep.Head == before {
			t.Fatal("the head did not change with the key")
		}
		// Only the new key: the chain still verifies (every entry names it).
		only := ring(t, newKey)
		svc.UseKeys(only)
		if rep, _ := svc.Verify(bg, nil); !rep.OK {
			t.Fatalf("verify with the new key alone: %+v", rep)
		}
		// A tampered chain is refused and left alone.
		if err := st.Gorm(bg).Exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5").Error; err != nil {
			t.Fatal(err)
		}
		third, _ := keyring.NewKey()
		if err := svc.Rekey(bg, ring(t, third, newKey)); err == nil || !strings.Contains(err.Error(), "entry 5") {
			t.Fatalf("rekey of a tampered chain: %v", err)
		}
		if ids := keyIDs(t, st); ids[newKey.ID] != 3 {
			t.Fatalf("a refused rekey changed entries: %v", ids)
		}
	})
}
