package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// tcctl notify receiver|rule|log against a real tcd: create with the secret
// on standard input, list, get, edit, test (signed), the delivery log,
// delete refused while a rule uses the receiver, then deleted.
func TestTcctlNotify(t *testing.T) {
	d := notifyTCD(t, testutil.SQLiteDSN(t), nil)
	owner := d.Setup(t)
	s := newSink(t)
	profile := filepath.Join(t.TempDir(), "p.yaml")
	env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
	ok := func(stdin string, args ...string) run {
		t.Helper()
		r := tcctl(t, profile, stdin, env, args...)
		if r.code != 0 {
			t.Fatalf("tcctl %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		return r
	}
	var recv tc.NotifyReceiver
	r := ok("hook-secret\n", "notify", "receiver", "create", "--name", "hook", "--kind", "webhook", "--url", s.URL(),
		"--secret-stdin", "--header", "X-Team=ops", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &recv); err != nil || !recv.SecretSet || recv.HeaderNames[0] != "X-Team" || strings.Contains(r.stdout, "hook-secret") {
		t.Fatalf("create: %v %s", err, r.stdout)
	}
	if r := ok("", "notify", "receiver", "list"); !strings.Contains(r.stdout, "hook") || !strings.Contains(r.stdout, "webhook") || !strings.Contains(r.stdout, "set") {
		t.Fatalf("list:\n%s", r.stdout)
	}
	ok("", "notify", "receiver", "test", "hook")
	if got := s.all(); len(got) != 1 || !got[0].N.Test || !verifySignature("hook-secret", got[0].Header, got[0].Body) {
		t.Fatalf("test notification: %+v", got)
	}
	ok("", "notify", "receiver", "edit", "hook", "--rate-limit", "30")
	if r := ok("", "notify", "receiver", "get", "hook", "-o", "json"); !strings.Contains(r.stdout, `"rateLimit": 30`) {
		t.Fatalf("get:\n%s", r.stdout)
	}
	var rule tc.NotifyRule
	r = ok("", "notify", "rule", "create", "--name", "site-down", "--event", "agent.not_reporting", "--for", "5m", "--group-by", "site",
		"--selector", "env=prod", "--receiver", "hook", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &rule); err != nil || rule.For != 300 || rule.GroupBy != "site" || rule.GroupWindow != 30 ||
		rule.Scope != tc.ScopeAgents || rule.Selector != "env=prod" || !rule.SendResolved || len(rule.Receivers) != 1 {
		t.Fatalf("rule create: %v %s", err, r.stdout)
	}
	if r := ok("", "notify", "rule", "list"); !strings.Contains(r.stdout, "site-down") || !strings.Contains(r.stdout, "agents env=prod") || !strings.Contains(r.stdout, "hook") {
		t.Fatalf("rule list:\n%s", r.stdout)
	}
	ok("", "notify", "rule", "edit", "site-down", "--disabled", "--no-resolved")
	if got := must[tc.NotifyRule](t)(owner.GetNotifyRule(bg, "site-down")); got.Enabled || got.SendResolved {
		t.Fatalf("after edit: %+v", got)
	}
	if r := tcctl(t, profile, "", env, "notify", "rule", "create", "--name", "x", "--event", "agent.sleeping", "--receiver", "hook"); r.code == 0 || !strings.Contains(r.stderr, "unknown event") {
		t.Fatalf("bad event: %d %s", r.code, r.stderr)
	}
	if r := ok("", "notify", "log", "--receiver", "hook", "--since", "1h", "-o", "json"); !strings.Contains(r.stdout, `"outcome": "success"`) || !strings.Contains(r.stdout, `"event": "test"`) {
		t.Fatalf("log:\n%s", r.stdout)
	}
	if r := tcctl(t, profile, "", env, "notify", "receiver", "delete", "hook", "--yes"); r.code == 0 || !strings.Contains(r.stderr, "used by rule(s) site-down") {
		t.Fatalf("delete while used: %d %s", r.code, r.stderr)
	}
	ok("", "notify", "rule", "delete", "site-down", "--yes")
	ok("", "notify", "receiver", "delete", "hook", "--yes")
	if r := ok("", "notify", "receiver", "list", "-o", "json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("after delete: %s", r.stdout)
	}
}
