package e2e

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// Prune never deletes the current version, but it read which version is
// current before its transaction: a config write committing in between
// made a newer version current, and the prune deleted it (prune waits for
// the rollout lock, which config writes do not take, so the window is as
// long as any rollout start or group edit holds that lock). Here the test
// holds the lock to open the window deterministically (PostgreSQL; on
// SQLite the same window lies before the write lock).
func TestPruneKeepsVersionMadeCurrentMeanwhile(t *testing.T) {
	dsn, ok := testutil.PostgresDSN(t)
	if !ok {
		return
	}
	d := testutil.StartTCD(t, dsn)
	owner := d.Setup(t)
	cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "pr", TOML: "# v1\n[[inputs.mem]]\n"}))
	must[tc.Config](t)(owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr("# v2\n[[inputs.mem]]\n")}))

	db, err := sql.Open("pgx", dsn) // search_path: tcd's schema, so the same lock key
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const key = "(7451220041::bigint # (hashtext(current_schema())::bigint << 32))" // store.rolloutGroupsLockKey
	if _, err := conn.ExecContext(bg, "SELECT pg_advisory_lock("+key+")"); err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := conn.QueryRowContext(bg, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}

	type pruned struct {
		res tc.PruneResult
		err error
	}
	done := make(chan pruned, 1)
	go func() {
		res, err := owner.PruneVersions(bg, cfg.ID, 100)
		done <- pruned{res, err}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the prune never waited for the rollout lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Meanwhile an administrator saves the config: version 3 is current.
	if c := must[tc.Config](t)(owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr("# v3\n[[inputs.mem]]\n")})); c.Version != 3 {
		t.Fatalf("version %d, want 3", c.Version)
	}
	if _, err := conn.ExecContext(bg, "SELECT pg_advisory_unlock("+key+")"); err != nil {
		t.Fatal(err)
	}
	p := <-done
	if p.err != nil {
		t.Fatal(p.err)
	}
	vs := must[[]tc.ConfigVersion](t)(owner.ConfigVersions(bg, cfg.ID))
	var have []int
	for _, v := range vs {
		have = append(have, v.Version)
	}
	if fmt.Sprint(have) != "[3]" || p.res.Deleted != 2 {
		t.Fatalf("after the prune: versions %v (deleted %d), want only the current version 3 (1 and 2 deleted)", have, p.res.Deleted)
	}
}
