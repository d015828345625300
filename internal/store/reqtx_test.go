package store_test

import (
	"context"
	"testing"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// The request transaction: writes made with the request's context — on
// their own or through Tx — are invisible to others until Finish commits
// them with the last function (the audit entry), and gone after Rollback;
// a failed statement does not spoil the rest (a savepoint on PostgreSQL);
// AfterCommit runs after the commit only; Detached statements commit on
// their own.
func TestRequestTx(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		s := open(t, e.DSN)
		bg := context.Background()
		count := func(name string) int64 {
			var n int64
			if err := s.Gorm(bg).Table("labels").Where("name = ?", name).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		insert := func(ctx context.Context, id, name string) error {
			return s.Gorm(ctx).Exec("INSERT INTO labels (id, name, description, color, created_at, updated_at) VALUES (?, ?, '', '', ?, ?)", id, name, s.Now(), s.Now()).Error
		}

		ctx, rt := s.BeginRequest(bg)
		// Detached: on its own (before the request's first write: on
		// SQLite the request holds the one write lock from then on).
		if err := insert(store.Detached(ctx), "l3", "three"); err != nil {
			t.Fatal(err)
		}
		if err := insert(ctx, "l1", "one"); err != nil {
			t.Fatal(err)
		}
		if err := insert(ctx, "l1", "dup"); err == nil {
			t.Fatal("duplicate id accepted")
		}
		if err := s.Tx(ctx, func(tx *store.Store) error { return insert(ctx, "l2", "two") }); err != nil {
			t.Fatal(err)
		}
		if count("one") != 0 || count("two") != 0 || count("three") != 1 {
			t.Fatalf("before commit: one %d two %d three %d", count("one"), count("two"), count("three"))
		}
		ran := false
		store.AfterCommit(ctx, func() { ran = true })
		if ran {
			t.Fatal("AfterCommit ran before the commit")
		}
		if err := rt.Finish(ctx, func(tx *store.Store) error {
			return tx.AppendAudit(ctx, &tc.AuditEntry{Actor: "root", Action: "POST /api/labels", Outcome: tc.OutcomeSuccess, Status: 201})
		}); err != nil {
			t.Fatal(err)
		}
		if !ran || count("one") != 1 || count("two") != 1 {
			t.Fatalf("after commit: ran %v one %d two %d", ran, count("one"), count("two"))
		}
		if h, err := s.AuditHead(bg); err != nil || h == nil || h.Seq != 1 {
			t.Fatalf("audit entry: %+v %v", h, err)
		}

		ctx, rt = s.BeginRequest(bg)
		if err := insert(ctx, "l4", "four"); err != nil {
			t.Fatal(err)
		}
		ran = false
		store.AfterCommit(ctx, func() { ran = true })
		rt.Rollback()
		if ran || count("four") != 0 {
			t.Fatalf("after rollback: ran %v four %d", ran, count("four"))
		}
		if err := insert(ctx, "l5", "five"); err == nil {
			t.Fatal("a write after the request ended was accepted")
		}
	})
}
