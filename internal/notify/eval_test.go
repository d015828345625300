package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/notify"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

var bg = context.Background()

func ptr[T any](v T) *T { return &v }

// harness is a store with the notifications service and one receiver,
// evaluated at explicit times (no tcd, no HTTP: the decisions are read
// from the outbox).
type harness struct {
	t    *testing.T
	st   *store.Store
	svc  *notify.Service
	now  time.Time
	recv tc.NotifyReceiver
	seen int
}

func newHarness(t *testing.T, dsn string) *harness {
	t.Helper()
	st, err := store.Open(bg, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(bg); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureDefaultRule(bg); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, st: st, now: time.Now().UTC().Truncate(time.Second)}
	h.svc = notify.New(st, notify.Options{Now: func() time.Time { return h.now }})
	h.recv, err = h.svc.CreateReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("r"), Kind: ptr(tc.ReceiverWebhook), URL: ptr("http://127.0.0.1:9/x")})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// beat writes heartbeats now (status ok unless given as "id:status").
func (h *harness) beat(ids ...string) {
	h.t.Helper()
	rows := make([]store.HeartbeatRow, len(ids))
	for i, id := range ids {
		status := tc.StatusOK
		if a, s, ok := strings.Cut(id, ":"); ok {
			id, status = a, s
		}
		cfg := `[]`
		if strings.HasPrefix(id, "ext") {
			cfg = `[{"url":"file:///etc/telegraf/telegraf.conf","managed":false}]`
		}
		rows[i] = store.HeartbeatRow{AgentID: id, Hostname: "h-" + id, Status: status, AtMs: h.now.UnixMilli(), Configurations: &cfg}
	}
	if err := h.st.WriteHeartbeats(bg, rows); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) rule(req tc.NotifyRuleRequest) tc.NotifyRule {
	h.t.Helper()
	req.Receivers = &[]string{h.recv.ID}
	r, err := h.svc.CreateRule(bg, req)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// eval advances the clock and evaluates; it returns the notifications
// decided by this evaluation.
func (h *harness) eval(advance time.Duration) []tc.Notification {
	h.t.Helper()
	h.now = h.now.Add(advance)
	if _, err := h.svc.Evaluate(bg, h.now); err != nil {
		h.t.Fatal(err)
	}
	var rows []string
	if err := h.st.Gorm(bg).Raw("SELECT payload FROM notify_outbox ORDER BY seq").Scan(&rows).Error; err != nil {
		h.t.Fatal(err)
	}
	var out []tc.Notification
	for _, r := range rows[h.seen:] {
		var n tc.Notification
		if err := json.Unmarshal([]byte(r), &n); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, n)
	}
	h.seen = len(rows)
	return out
}

func describe(ns []tc.Notification) string {
	var s []string
	for _, n := range ns {
		s = append(s, fmt.Sprintf("%s/%s/%s/%d", n.Rule.Name, n.Status, n.Group, n.Count))
	}
	return strings.Join(s, " ")
}

func (h *harness) expect(got []tc.Notification, want string) {
	h.t.Helper()
	if d := describe(got); d != want {
		h.t.Fatalf("decided %q, want %q", d, want)
	}
}

// Status conditions with a minimum duration kept per agent, grouping by a
// label, group interval, repeat interval and resolution.
func TestEvaluateStatusConditions(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		h := newHarness(t, e.DSN)
		h.beat("a1:fail", "a2:fail", "a3:warn", "a4")
		for _, name := range []string{"site=x", "site=y"} {
			if err := h.st.InsertLabel(bg, &store.LabelRow{ID: name, Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.st.AssignAgentLabels(bg, []string{"a1", "a3"}, []string{"site=x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.AssignAgentLabels(bg, []string{"a2"}, []string{"site=y"}); err != nil {
			t.Fatal(err)
		}
		h.rule(tc.NotifyRuleRequest{Name: ptr("failing"), Event: ptr(tc.EventAgentFail), For: ptr(int64(60)), GroupBy: ptr("site"),
			GroupWindow: ptr(int64(10)), GroupInterval: ptr(int64(120)), RepeatInterval: ptr(int64(600))})
		h.rule(tc.NotifyRuleRequest{Name: ptr("warning"), Event: ptr(tc.EventAgentWarn), GroupWindow: ptr(int64(0)), SendResolved: ptr(false)})

		h.expect(h.eval(time.Second), "warning/firing//1") // no minimum duration, no window
		h.expect(h.eval(30*time.Second), "")               // fail for 31 s < 60 s
		h.beat("a1:fail", "a2:fail", "a3:warn", "a4")
		h.expect(h.eval(30*time.Second), "")                                      // 61 s: groups open, window 10 s
		h.expect(h.eval(10*time.Second), "failing/firing/x/1 failing/firing/y/1") // window passed
		h.beat("a1:fail", "a2:ok", "a3:warn", "a4:fail")                          // y clears, a4 starts failing
		got := h.eval(time.Second)
		h.expect(got, "failing/resolved/y/1")
		if got[0].Items[0].ID != "a2" || got[0].EndsAt == nil {
			t.Fatalf("resolved: %+v", got[0])
		}
		if _, err := h.st.AssignAgentLabels(bg, []string{"a4"}, []string{"site=x"}); err != nil {
			t.Fatal(err)
		}
		h.beat("a1:fail", "a3:warn", "a4:fail", "a2")
		h.expect(h.eval(70*time.Second), "") // x now counts 2 (a4 for 71 s), but the group interval (120 s) holds it
		h.beat("a1:fail", "a3:warn", "a4:fail", "a2")
		got = h.eval(60 * time.Second) // 131 s since x fired: the change goes out
		h.expect(got, "failing/firing/x/2")
		if got[0].Items[0].ID != "a1" || got[0].Items[1].ID != "a4" || !strings.Contains(got[0].Summary, "2 agents reporting status fail (site=x)") {
			t.Fatalf("update: %+v", got[0])
		}
		for i := 0; i < 4; i++ {
			h.beat("a1:fail", "a3:warn", "a4:fail", "a2")
			h.expect(h.eval(2*time.Minute), "")
		}
		h.beat("a1:fail", "a3:warn", "a4:fail", "a2")
		h.expect(h.eval(2*time.Minute), "failing/firing/x/2") // repeat interval (600 s)
		h.beat("a1", "a3", "a4", "a2")
		h.expect(h.eval(time.Second), "failing/resolved/x/2") // warning sends no resolved
	})
}

// not_reporting over the scope's selector, agents whose configuration tcd
// does not manage, new agents, expiring tokens.
func TestEvaluateAgentsAndTokens(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		h := newHarness(t, e.DSN)
		for _, name := range []string{"env=prod", "env=dev", "canary"} {
			if err := h.st.InsertLabel(bg, &store.LabelRow{ID: name, Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		h.rule(tc.NotifyRuleRequest{Name: ptr("silent-prod"), Event: ptr(tc.EventAgentNotReporting), Selector: ptr("env=prod,!canary"), GroupWindow: ptr(int64(0))})
		h.rule(tc.NotifyRuleRequest{Name: ptr("external"), Event: ptr(tc.EventAgentUnmanagedConfig), GroupWindow: ptr(int64(0))})
		h.rule(tc.NotifyRuleRequest{Name: ptr("new"), Event: ptr(tc.EventAgentNew), GroupWindow: ptr(int64(20))})
		h.rule(tc.NotifyRuleRequest{Name: ptr("tokens"), Event: ptr(tc.EventTokenExpiring), Days: ptr(7), GroupWindow: ptr(int64(0))})
		// Agents first seen after the rules exist: their creation time is
		// the store's real clock, which a slow run (-race, a loaded
		// machine) moves past the harness's start by more than a second.
		h.now = time.Now().UTC().Truncate(time.Second).Add(2 * time.Second)
		h.beat("p1", "p2", "p3", "d1", "ext1")
		for agent, labels := range map[string][]string{"p1": {"env=prod"}, "p2": {"env=prod", "canary"}, "p3": {"env=prod"}, "d1": {"env=dev"}} {
			if _, err := h.st.AssignAgentLabels(bg, []string{agent}, labels); err != nil {
				t.Fatal(err)
			}
		}
		h.expect(h.eval(time.Second), "external/firing//1") // new agents gather for 20 s
		h.now = h.now.Add(100 * time.Second)
		h.beat("p3")
		got := h.eval(100 * time.Second) // the default rule's 180 s passed for all but p3
		h.expect(got, "new/firing//5 silent-prod/firing//1")
		if got[1].Items[0].ID != "p1" || got[0].Items[0].ID != "d1" {
			t.Fatalf("items: %+v / %+v", got[0].Items, got[1].Items)
		}
		h.beat("p1", "p2", "p3", "d1", "ext1", "fresh")
		h.expect(h.eval(time.Second), "silent-prod/resolved//1")
		h.expect(h.eval(20*time.Second), "new/firing//1")

		u := &store.User{Username: "u", Email: "u@example.com", Role: tc.RoleAdministrator, PasswordHash: "x"}
		if err := h.st.CreateUser(bg, u); err != nil {
			t.Fatal(err)
		}
		for i, in := range []time.Duration{3 * 24 * time.Hour, 30 * 24 * time.Hour, 7*24*time.Hour + time.Minute} {
			exp := h.now.Add(in)
			if err := h.st.CreateToken(bg, &store.Token{ID: fmt.Sprint("tok", i), Description: fmt.Sprint("token ", i), TokenHash: fmt.Sprint("hash", i),
				UserID: u.ID, Permissions: "configs:read", Source: "api", CreatedAt: h.now, ExpiresAt: &exp}); err != nil {
				t.Fatal(err)
			}
		}
		got = h.eval(time.Second)
		h.expect(got, "tokens/firing//1")
		if got[0].Items[0].ID != "tok0" || !strings.Contains(got[0].Summary, "1 API token expires within 7 days") {
			t.Fatalf("tokens: %+v", got[0])
		}
		h.expect(h.eval(2*time.Minute), "tokens/firing//1")  // tok2 entered the window; tok0 is not told twice
		h.expect(h.eval(time.Hour), "silent-prod/firing//2") // no token twice; the prod agents went silent meanwhile
	})
}

// Published events (rollouts, advisories) matched by config labels and
// grouped by them; audit chain failures found by the evaluation.
func TestEvaluatePublishedEventsAndAudit(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		h := newHarness(t, e.DSN)
		for _, name := range []string{"tier=web", "tier=db"} {
			if err := h.st.InsertLabel(bg, &store.LabelRow{ID: name, Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct{ id, label string }{{"cfg-web", "tier=web"}, {"cfg-db", "tier=db"}} {
			if err := h.st.Gorm(bg).Exec("INSERT INTO configs (id, name, description, toml, version, last_modified, created_at, updated_at) VALUES (?, ?, '', '', 1, 0, ?, ?)",
				c.id, c.id, h.now, h.now).Error; err != nil {
				t.Fatal(err)
			}
			if err := h.st.LinkLabels(bg, store.LinkConfigs, []string{c.id}, []string{c.label}); err != nil {
				t.Fatal(err)
			}
		}
		h.rule(tc.NotifyRuleRequest{Name: ptr("web-rollouts"), Event: ptr(tc.EventRolloutPaused), Selector: ptr("tier=web"), GroupBy: ptr("tier"), GroupWindow: ptr(int64(0))})
		h.rule(tc.NotifyRuleRequest{Name: ptr("advisories"), Event: ptr(tc.EventAdvisoryMatched), GroupWindow: ptr(int64(30))})
		h.rule(tc.NotifyRuleRequest{Name: ptr("audit"), Event: ptr(tc.EventAuditVerificationFailed), GroupWindow: ptr(int64(0))})
		pub := func(e notify.Event) {
			t.Helper()
			if err := h.svc.Publish(bg, e); err != nil {
				t.Fatal(err)
			}
		}
		pub(notify.Event{Kind: tc.EventRolloutPaused, SubjectID: "ro-web", SubjectName: "web v2", ConfigIDs: []string{"cfg-web"}, Summary: "2 of 10 failed"})
		pub(notify.Event{Kind: tc.EventRolloutPaused, SubjectID: "ro-db", ConfigIDs: []string{"cfg-db"}})
		pub(notify.Event{Kind: tc.EventAdvisoryMatched, SubjectID: "CVE-2026-1", SubjectName: "inputs.snmp overflow", ConfigIDs: []string{"cfg-db"}})
		got := h.eval(time.Second)
		h.expect(got, "web-rollouts/firing/web/1")
		if got[0].Items[0].Summary != "2 of 10 failed" || got[0].Summary != "rollout web v2 paused (tier=web)" {
			t.Fatalf("rollout: %+v", got[0])
		}
		pub(notify.Event{Kind: tc.EventAdvisoryMatched, SubjectID: "CVE-2026-2"})
		h.expect(h.eval(10*time.Second), "")
		h.expect(h.eval(20*time.Second), "advisories/firing//2") // one message for both, after the window
		if err := h.svc.Publish(bg, notify.Event{Kind: tc.EventAgentNew, SubjectID: "x"}); tc.ErrorCode(err) != tc.EInvalid {
			t.Fatalf("publishing an observed kind: %v", err)
		}

		// The audit chain: intact, then an entry changed behind tcd's back.
		for i := 0; i < 3; i++ {
			if err := h.st.AppendAudit(bg, &tc.AuditEntry{Time: h.now, Actor: "root", Action: fmt.Sprint("POST /api/x", i), Outcome: "success", Status: 200}); err != nil {
				t.Fatal(err)
			}
		}
		h.expect(h.eval(time.Second), "")
		if err := h.st.Gorm(bg).Exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").Error; err != nil {
			t.Fatal(err)
		}
		got = h.eval(notify.AuditFullCheck) // the whole log is verified again hourly
		h.expect(got, "audit/firing//1")
		if got[0].Items[0].ID != "2" || !strings.Contains(got[0].Items[0].Summary, "content does not match") {
			t.Fatalf("audit: %+v", got[0])
		}
		h.expect(h.eval(notify.AuditFullCheck), "") // reported once
	})
}

// A firing group is re-sent to Alertmanager receivers every minute (only
// to them), a newer refresh replacing one still waiting.
func TestAlertmanagerRefresh(t *testing.T) {
	h := newHarness(t, testutil.SQLiteDSN(t))
	am, err := h.svc.CreateReceiver(bg, tc.NotifyReceiverRequest{Name: ptr("am"), Kind: ptr(tc.ReceiverAlertmanager), URL: ptr("http://127.0.0.1:9")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.CreateRule(bg, tc.NotifyRuleRequest{Name: ptr("warn"), Event: ptr(tc.EventAgentWarn), GroupWindow: ptr(int64(0)),
		Receivers: &[]string{h.recv.ID, am.ID}}); err != nil {
		t.Fatal(err)
	}
	rows := func() string {
		var out []struct{ ReceiverID, Status string }
		if err := h.st.Gorm(bg).Raw("SELECT receiver_id, status FROM notify_outbox ORDER BY seq").Scan(&out).Error; err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, r := range out {
			name := "hook"
			if r.ReceiverID == am.ID {
				name = "am"
			}
			s = append(s, name+":"+r.Status)
		}
		return strings.Join(s, " ")
	}
	h.beat("w1:warn")
	h.eval(time.Second)
	if got := rows(); got != "am:firing hook:firing" {
		t.Fatalf("first: %s", got)
	}
	h.beat("w1:warn")
	h.eval(30 * time.Second)
	if got := rows(); got != "am:firing hook:firing" {
		t.Fatalf("after 30 s: %s", got)
	}
	h.beat("w1:warn")
	h.eval(31 * time.Second)
	if got := rows(); got != "am:firing hook:firing am:refresh" {
		t.Fatalf("after a minute: %s", got)
	}
	h.beat("w1:warn")
	h.eval(61 * time.Second)
	if got := rows(); got != "am:firing hook:firing am:refresh" {
		t.Fatalf("a second refresh must replace the waiting one: %s", got)
	}
}
