package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// tcctlTTY runs tcctl with stdout on a colour terminal.
func tcctlTTY(t *testing.T, env map[string]string, args ...string) run {
	t.Helper()
	e := map[string]string{"TERM": "xterm"}
	for k, v := range env {
		e[k] = v
	}
	return tcctlTerm(t, t.TempDir()+"/p.yaml", e, args...)
}

func TestTcctlAgentsAndRules(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(e.DSN), "heartbeat"), testutil.NewClock())
		owner := d.Setup(t)
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		profile := t.TempDir() + "/p.yaml"
		for _, id := range []string{"web-01", "web-02", "db-01"} {
			if s, _ := postHeartbeat(t, d, "", hbBody(id, 3)); s != 200 {
				t.Fatal(s)
			}
		}
		d.Clock.Advance(5 * time.Minute)
		if _, err := d.Scheduler().Tick(bg); err != nil {
			t.Fatal(err)
		}
		postHeartbeat(t, d, "", hbBody("web-01", 4))

		r := tcctl(t, profile, "", env, "agent", "list", "--status", "not_reporting", "-o", "json")
		var agents []tc.Agent
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &agents) != nil || len(agents) != 2 {
			t.Fatalf("agent list --status not_reporting: %d %s %s", r.code, r.stdout, r.stderr)
		}
		r = tcctlTTY(t, env, "agent", "list", "--search", "web")
		if r.code != 0 || !strings.Contains(r.stdout, "\x1b[32mok\x1b[0m") || !strings.Contains(r.stdout, "ago") || strings.Contains(r.stdout, "db-01") {
			t.Fatalf("terminal agent list:\n%s", r.stdout)
		}
		r = tcctl(t, profile, "", env, "agent", "list", "--search", "web")
		if strings.Contains(r.stdout, "\x1b[") || strings.Contains(r.stdout, " ago") {
			t.Fatalf("pipe output has colour or relative times:\n%s", r.stdout)
		}
		r = tcctl(t, profile, "", env, "agent", "summary", "-o", "json")
		var sum tc.AgentSummary
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &sum) != nil || sum.Total != 3 || sum.Status[tc.StatusNotReporting] != 2 {
			t.Fatalf("agent summary: %s", r.stdout)
		}
		if r = tcctl(t, profile, "", env, "agent", "get", "nope"); r.code != 3 {
			t.Fatalf("agent get unknown: exit %d", r.code)
		}
		r = tcctl(t, profile, "", env, "rule", "create", "--name", "slow", "--not-reporting-after", "15m", "--auto-delete-after", "30d", "-o", "json")
		var rule tc.ReportingRule
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rule) != nil || rule.NotReportingAfter != 900 || *rule.AutoDeleteAfter != 30*86400 {
			t.Fatalf("rule create: %d %s %s", r.code, r.stdout, r.stderr)
		}
		if r = tcctl(t, profile, "", env, "agent", "set-rule", "slow", "web-01", "web-02"); r.code != 0 {
			t.Fatalf("set-rule: %s", r.stderr)
		}
		if a := must[tc.Agent](t)(owner.GetAgent(bg, "web-02")); a.ReportingRuleID != rule.ID {
			t.Fatalf("web-02 rule %s", a.ReportingRuleID)
		}
		if r = tcctl(t, profile, "", env, "rule", "delete", "default", "--yes"); r.code != 1 || !strings.Contains(r.stderr, "default") {
			t.Fatalf("deleting the default rule: exit %d %s", r.code, r.stderr)
		}
		if r = tcctl(t, profile, "", env, "rule", "set-default", "slow"); r.code != 0 {
			t.Fatalf("set-default: %s", r.stderr)
		}
		if r = tcctl(t, profile, "", env, "rule", "delete", "default"); r.code != 2 {
			t.Fatalf("delete without --yes off a terminal: exit %d", r.code)
		}
		if r = tcctl(t, profile, "", env, "rule", "delete", "default", "--yes"); r.code != 0 {
			t.Fatalf("delete old default: %s", r.stderr)
		}
		if a := must[tc.Agent](t)(owner.GetAgent(bg, "db-01")); a.ReportingRuleID != rule.ID {
			t.Fatalf("db-01 not moved to the new default: %s", a.ReportingRuleID)
		}
		if r = tcctl(t, profile, "", env, "agent", "delete", "db-01", "--yes"); r.code != 0 {
			t.Fatalf("agent delete: %s", r.stderr)
		}
		r = tcctl(t, profile, "", env, "agent", "list", "--status", "fail", "-o", "json")
		if strings.TrimSpace(r.stdout) != "[]" {
			t.Fatalf("empty agent list printed %q", r.stdout)
		}
	})
}

func TestTcctlLabelAgents(t *testing.T) {
	d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(testutil.SQLiteDSN(t)), "heartbeat"), testutil.NewClock())
	owner := d.Setup(t)
	postHeartbeat(t, d, "", hbBody("edge-01", 1))
	postHeartbeat(t, d, "", hbBody("edge-02", 1))
	env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
	profile := t.TempDir() + "/p.yaml"
	if r := tcctl(t, profile, "", env, "label", "create", "--name", "edge"); r.code != 0 {
		t.Fatalf("label create: %s", r.stderr)
	}
	if r := tcctl(t, profile, "", env, "label", "assign", "edge", "--agents", "edge-01,edge-02"); r.code != 0 {
		t.Fatalf("label assign --agents: %s", r.stderr)
	}
	r := tcctl(t, profile, "", env, "agent", "list", "--label", "edge", "-o", "json")
	var agents []tc.Agent
	if json.Unmarshal([]byte(r.stdout), &agents) != nil || len(agents) != 2 {
		t.Fatalf("agents with label: %s", r.stdout)
	}
	if r := tcctl(t, profile, "", env, "label", "unassign", "edge", "--agents", "edge-02"); r.code != 0 {
		t.Fatalf("unassign: %s", r.stderr)
	}
	if l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Label: "edge"})); l.Total != 1 {
		t.Fatalf("after unassign: %d", l.Total)
	}
	if r := tcctl(t, profile, "", env, "label", "assign", "nolabel", "--agents", "edge-01"); r.code != 3 {
		t.Fatalf("unknown label: exit %d %s", r.code, r.stderr)
	}
}
