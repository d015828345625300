package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
)

// send is one raw HTTP request, as an attacker sends it (no typed client):
// method, path, Authorization header value ("" for none), a JSON body (""
// for none) and extra headers as name/value pairs. It returns the status
// and the decoded JSON answer.
func send(t *testing.T, d *testutil.TCD, method, path, auth, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, d.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var env map[string]any
	_ = json.Unmarshal(b, &env)
	return resp.StatusCode, env
}

// dbState is what an attack must leave alone: every user row (password
// hash, role, flags, generation), token, invite and reset code, and the
// audit log.
type dbState struct {
	rows  string // users, tokens, invites, reset codes as JSON
	audit []store.AuditRow
}

func dbSnapshot(t *testing.T, d *testutil.TCD) dbState {
	t.Helper()
	db := d.Store().Gorm(bg)
	var (
		users   []store.User
		tokens  []store.Token
		invites []store.Invite
		resets  []store.PasswordReset
		audit   []store.AuditRow
	)
	for _, q := range []struct {
		dst   any
		order string
	}{{&users, "id"}, {&tokens, "id"}, {&invites, "id"}, {&resets, "id"}, {&audit, "seq"}} {
		if err := db.Order(q.order).Find(q.dst).Error; err != nil {
			t.Fatal(err)
		}
	}
	for i := range tokens {
		tokens[i].LastUsedAt = nil // bookkeeping of use, flushed in the background: not a change of rights
	}
	b, err := json.Marshal(map[string]any{"users": users, "tokens": tokens, "invites": invites, "resets": resets})
	if err != nil {
		t.Fatal(err)
	}
	return dbState{rows: string(b), audit: audit}
}

// unchanged fails unless users, tokens, invites and reset codes are as in
// before, and the audit log is before's entries followed by exactly
// attempts new ones, each recording a refusal (never a success).
func unchanged(t *testing.T, d *testutil.TCD, before dbState, attempts int) {
	t.Helper()
	after := dbSnapshot(t, d)
	if after.rows != before.rows {
		t.Fatalf("the attack changed the database:\nbefore %s\nafter  %s", before.rows, after.rows)
	}
	if len(after.audit) != len(before.audit)+attempts {
		for _, a := range after.audit[min(len(before.audit), len(after.audit)):] {
			t.Logf("new audit entry: %d %s %s %s %d", a.Seq, a.Actor, a.Action, a.Outcome, a.Status)
		}
		t.Fatalf("audit log: %d entries before, %d after; want %d new (one per refused request)", len(before.audit), len(after.audit), attempts)
	}
	for i, a := range before.audit {
		if after.audit[i] != a {
			t.Fatalf("audit entry %d was changed: %+v → %+v", a.Seq, a, after.audit[i])
		}
	}
	for _, a := range after.audit[len(before.audit):] {
		if a.Outcome == "success" || a.Status < 400 {
			t.Fatalf("the audit log records a success of the attack: %+v", a)
		}
	}
}

// is4xx fails unless status is a client error (the attack was refused).
func is4xx(t *testing.T, what string, status int, env map[string]any) {
	t.Helper()
	if status < 400 || status > 499 {
		t.Fatalf("%s: got %d %v, want a 4xx refusal", what, status, env)
	}
}
