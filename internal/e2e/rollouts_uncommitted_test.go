package e2e

import (
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// Config fetches are routed by the rollouts tcd holds in memory, which a
// rollout start reloaded inside its request's transaction, before the
// commit: until the commit (the audit append, or any write the start
// waited for) an agent of the first stage was routed to the version the
// start had staged, which no other connection could read yet — 404
// "version 3 not found" on its config URL; and a start that then failed
// left a rollout that never existed routing agents until the next reload.
// Serving now follows committed rollouts only. The test holds the audit
// chain's lock to keep the start from committing (PostgreSQL).
func TestRolloutStartRoutesNothingUncommitted(t *testing.T) {
	dsn, ok := testutil.PostgresDSN(t)
	if !ok {
		return
	}
	d := testutil.StartTCD(t, dsn, fastRollouts)
	owner := d.Setup(t)
	c := twoVersions(t, owner, "uc")
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const key = "(7451220002::bigint # (hashtext(current_schema())::bigint << 32))" // store.auditLockKey
	if _, err := conn.ExecContext(bg, "SELECT pg_advisory_lock("+key+")"); err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := conn.QueryRowContext(bg, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := owner.StartRollout(bg, tc.StartRolloutRequest{Config: c.ID, TOML: ptr(memberTOML("three")),
			Stages: []tc.RolloutStage{{Agents: []string{"a1"}}, {Percent: 100}}})
		done <- err
	}()
	// The start has staged version 3 and waits to append its audit entry.
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
			t.Fatal("the start never waited for the audit lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fetch := func() (string, error) {
		r, err := owner.RenderConfig(bg, c.ID, url.Values{"agent_id": {"a1"}})
		return r.Body, err
	}
	body, ferr := fetch()
	if _, err := conn.ExecContext(bg, "SELECT pg_advisory_unlock("+key+")"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ferr != nil || !strings.Contains(body, "release two") {
		t.Fatalf("an agent of the first stage fetching before the start committed: %v\n%s\nwant version 2 (nothing committed routes it elsewhere)", ferr, body)
	}
	if body, err := fetch(); err != nil || !strings.Contains(body, "release three") {
		t.Fatalf("after the start: %v\n%s\nwant version 3", err, body)
	}
}
