package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

func open(t *testing.T, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMigrateIsIdempotent(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		s := open(t, e.DSN)
		ctx := context.Background()
		applied, err := s.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second migrate applied %v, err %v", applied, err)
		}
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != store.LatestSchemaVersion() {
			t.Fatalf("version %d err %v", v, err)
		}
	})
}

func TestConcurrentMigrate(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		ctx := context.Background()
		errs := make(chan error, 3)
		for i := 0; i < 3; i++ {
			go func() {
				s, err := store.Open(ctx, e.DSN, store.Options{})
				if err != nil {
					errs <- err
					return
				}
				defer s.Close()
				_, err = s.Migrate(ctx)
				errs <- err
			}()
		}
		for i := 0; i < 3; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestUsers(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		s := open(t, e.DSN)
		ctx := context.Background()
		owner := &store.User{Username: "root", Email: "root@example.com", Role: tc.RoleOwner, PasswordHash: "x"}
		if err := s.CreateUser(ctx, owner); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, &store.User{Username: "root", Email: "b@example.com", Role: tc.RoleViewer, PasswordHash: "x"}); !tc.IsCode(err, tc.EConflict) {
			t.Fatalf("duplicate username: %v", err)
		}
		if err := s.CreateUser(ctx, &store.User{Username: "bob", Email: "root@example.com", Role: tc.RoleViewer, PasswordHash: "x"}); !tc.IsCode(err, tc.EConflict) {
			t.Fatalf("duplicate email: %v", err)
		}
		// The database itself refuses a second owner.
		err := s.CreateUser(ctx, &store.User{Username: "root2", Email: "r2@example.com", Role: tc.RoleOwner, PasswordHash: "x"})
		if err == nil {
			t.Fatal("second owner accepted")
		}
		got, err := s.UserByRef(ctx, "ROOT")
		if err != nil || got.ID != owner.ID {
			t.Fatalf("by username: %v %v", got, err)
		}
		got, err = s.UserByRef(ctx, owner.ID)
		if err != nil || got.Username != "root" {
			t.Fatalf("by id: %v %v", got, err)
		}
		if !got.CreatedAt.Equal(owner.CreatedAt) {
			t.Fatalf("timestamps differ: %v vs %v", got.CreatedAt, owner.CreatedAt)
		}
		if _, err := s.UserByRef(ctx, "nobody"); !tc.IsCode(err, tc.ENotFound) {
			t.Fatalf("missing: %v", err)
		}
		for _, n := range []string{"b_1", "b%2", "c3x"} {
			if err := s.CreateUser(ctx, &store.User{Username: n, Email: n + "@example.com", Role: tc.RoleViewer, PasswordHash: "x"}); err != nil {
				t.Fatal(err)
			}
		}
		users, total, err := s.ListUsers(ctx, store.UserFilter{Search: "_", Page: tc.Page{Limit: 10}})
		if err != nil || total != 1 || users[0].Username != "b_1" {
			t.Fatalf("LIKE escaping: %v %d %v", users, total, err)
		}
		users, total, err = s.ListUsers(ctx, store.UserFilter{Page: tc.Page{Limit: 2, Offset: 1}})
		if err != nil || total != 4 || len(users) != 2 || users[0].Username != "b_1" {
			t.Fatalf("paging: %v %d %v", users, total, err)
		}
	})
}

func TestSessionsCascadeAndPrune(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		s, err := store.Open(context.Background(), e.DSN, store.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := context.Background()
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		u := &store.User{Username: "ann", Email: "ann@example.com", Role: tc.RoleManager, PasswordHash: "x"}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		live := &store.Session{TokenHash: "h1", UserID: u.ID, ExpiresAt: now.Add(time.Hour)}
		old := &store.Session{TokenHash: "h2", UserID: u.ID, ExpiresAt: now.Add(-time.Second)}
		for _, ss := range []*store.Session{live, old} {
			if err := s.CreateSession(ctx, ss); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PruneExpired(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByHash(ctx, "h2"); !tc.IsCode(err, tc.ENotFound) {
			t.Fatalf("expired session kept: %v", err)
		}
		if got, err := s.SessionByHash(ctx, "h1"); err != nil || got.User.ID != u.ID {
			t.Fatalf("live session: %v %v", got, err)
		}
		if err := s.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByHash(ctx, "h1"); !tc.IsCode(err, tc.ENotFound) {
			t.Fatalf("session survived its user: %v", err)
		}
	})
}

func TestLoginFailures(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		s := open(t, e.DSN)
		ctx := context.Background()
		for i := 1; i <= 2; i++ {
			a, err := s.ReserveLoginAttempt(ctx, "ann", 3, time.Minute, time.Hour)
			if err != nil || !a.Allowed || a.LockedUntil != nil {
				t.Fatalf("attempt %d: %+v %v", i, a, err)
			}
		}
		a, err := s.ReserveLoginAttempt(ctx, "ann", 3, time.Minute, time.Hour)
		if err != nil || !a.Allowed || !a.LockedNow || a.LockedUntil == nil {
			t.Fatalf("the third attempt runs and takes the lock: %+v %v", a, err)
		}
		a, err = s.ReserveLoginAttempt(ctx, "ann", 3, time.Minute, time.Hour)
		if err != nil || a.Allowed || a.LockedUntil == nil {
			t.Fatalf("a fourth attempt while locked must be refused: %+v %v", a, err)
		}
		f, err := s.LoginFailureFor(ctx, "ann")
		if err != nil || f.LockedUntil == nil || f.Failures != 0 {
			t.Fatalf("row: %+v %v", f, err)
		}
		if err := s.ClearLoginFailures(ctx, "ann"); err != nil {
			t.Fatal(err)
		}
		if f, _ := s.LoginFailureFor(ctx, "ann"); f != nil {
			t.Fatalf("not cleared: %+v", f)
		}
	})
}

// The heartbeat writer's connection never checkpoints (that would sit on
// the serial heartbeat path); a background checkpointer copies its pages
// into the database file while it goes on.
func TestHeartbeatCheckpointsInBackground(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tcd.db")
	s := open(t, path)
	ctx := context.Background()
	if err := s.EnsureDefaultRule(ctx); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	now := time.Now().UnixMilli()
	rows := make([]store.HeartbeatRow, 0, 500)
	for i := 0; i < 5000; i++ {
		rows = append(rows, benchRow(i, now, 1))
		if len(rows) == cap(rows) {
			if err := s.WriteHeartbeats(ctx, rows); err != nil {
				t.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for size() < before+1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes after 5,000 new agents (was %d): nothing checkpointed", size(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
