package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
)

// walkStep is one successful write in TestAuditEveryWriteRoute.
type walkStep struct {
	method, route string            // the route as registered
	path          string            // with {var} placeholders
	body          string            // with {var} placeholders; "" for none
	auth          string            // variable holding the credential ("" = owner)
	target        string            // what the entry's target must contain ({var} placeholders)
	save          map[string]string // variable ← top-level JSON field of the answer
}

// Issue 15 acceptance 4 ("impossible to forget"): every write route of the
// router, called successfully in turn, leaves exactly one audit entry —
// with its action, outcome success, the status answered and a target
// naming what it wrote — committed with the change (TestAuditNoGapsAfterKill
// and TestAuditInsertFailureRollsBack prove the commit together). A write
// route added without a step here fails the test.
func TestAuditEveryWriteRoute(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	vars := map[string]string{"owner_pw": "rootpass1"}
	fill := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
		return s
	}
	osv := `{"id":"TCTEST-WALK-1","summary":"walk","affected":[{"package":{"ecosystem":"Go","name":"github.com/influxdata/telegraf"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"fixed":"1.30.0"}]}]}]}`
	hb := func(id string) {
		req, _ := http.NewRequest("POST", d.HeartbeatURL()+"/agents/heartbeat", strings.NewReader(hbBody(id, 1)))
		req.Header.Set("Authorization", "Bearer "+vars["owner"])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("heartbeat %s: %v %v", id, resp, err)
		}
		resp.Body.Close()
	}
	steps := []walkStep{
		{method: "POST", route: "/api/auth/setup", body: `{"username":"root","email":"root@example.com","password":"rootpass1"}`, auth: "-", save: map[string]string{"owner": "token"}, target: "owner=root"},
		{method: "POST", route: "/api/auth/login", body: `{"username":"root","password":"rootpass1"}`, auth: "-", save: map[string]string{"s2": "token"}},
		{method: "POST", route: "/api/auth/login/local", body: `{"username":"root","password":"rootpass1"}`, auth: "-", save: map[string]string{"s3": "token"}},
		{method: "POST", route: "/api/auth/logout", auth: "s3"},
		{method: "PATCH", route: "/api/auth/me", body: `{"email":"root2@example.com"}`},
		{method: "POST", route: "/api/users/invites", body: `{"username":"alice","email":"alice@example.com","role":"administrator"}`, save: map[string]string{"alice_code": "code", "alice_inv": "id"}, target: "id={alice_inv}"},
		{method: "POST", route: "/api/users/invites", body: `{"username":"bob","email":"bob@example.com","role":"viewer"}`, save: map[string]string{"bob_inv": "id"}, target: "id={bob_inv}"},
		{method: "DELETE", route: "/api/users/invites/:id", path: "/api/users/invites/{bob_inv}", target: "id={bob_inv}"},
		{method: "POST", route: "/api/auth/invites/accept", body: `{"code":"{alice_code}","password":"alicepass1"}`, auth: "-", save: map[string]string{"alice": "token"}},
		{method: "POST", route: "/api/users/invites", body: `{"username":"carol","email":"carol@example.com","role":"viewer"}`, save: map[string]string{"carol_code": "code"}},
		{method: "POST", route: "/api/auth/invites/accept", body: `{"code":"{carol_code}","password":"carolpass1"}`, auth: "-"},
		{method: "POST", route: "/api/users/:id/password-reset", path: "/api/users/alice/password-reset", body: `{}`, save: map[string]string{"reset": "code"}, target: "id=alice"},
		{method: "POST", route: "/api/auth/password-reset", body: `{"code":"{reset}","password":"alicepass2"}`, auth: "-"},
		{method: "PATCH", route: "/api/users/:id", path: "/api/users/alice", body: `{"email":"alice2@example.com"}`, target: "id=alice"},
		{method: "DELETE", route: "/api/users/:id", path: "/api/users/carol", target: "id=carol"},
		{method: "POST", route: "/api/tokens", body: `{"description":"ci","preset":"ci"}`, save: map[string]string{"tok": "id"}, target: "id={tok}"},
		{method: "POST", route: "/api/tokens/:id/reassign", path: "/api/tokens/{tok}/reassign", body: `{"userId":"alice"}`, target: "id={tok}"},
		{method: "POST", route: "/api/tokens/:id/revoke", path: "/api/tokens/{tok}/revoke", target: "id={tok}"},
		{method: "DELETE", route: "/api/tokens/:id", path: "/api/tokens/{tok}", target: "id={tok}"},
		{method: "PATCH", route: "/api/settings", body: `{"loginLockoutAttempts":6}`, target: "settings=loginLockoutAttempts"},
		{method: "POST", route: "/api/labels", body: `{"name":"l1"}`, save: map[string]string{"l1": "id"}, target: "id={l1}"},
		{method: "POST", route: "/api/labels", body: `{"name":"l2"}`, save: map[string]string{"l2": "id"}, target: "id={l2}"},
		{method: "PATCH", route: "/api/labels/:id", path: "/api/labels/{l1}", body: `{"description":"d"}`, target: "id={l1}"},
		{method: "POST", route: "/api/configs", body: `{"name":"web","toml":"[agent]\n"}`, save: map[string]string{"cfg": "id"}, target: "id={cfg}"},
		// A dry run: one entry (an apply that changes things adds one per changed resource, see TestConfigAsCodeRoundTrip).
		{method: "POST", route: "/api/apply", body: `{"dryRun":true,"resources":[{"apiVersion":"tc/v1","kind":"Label","metadata":{"name":"l9"}}]}`, target: "apply="},
		{method: "PATCH", route: "/api/configs/:id", path: "/api/configs/{cfg}", body: `{"toml":"[agent]\n  interval = \"20s\"\n"}`, target: "id={cfg}"},
		{method: "PUT", route: "/api/configs/:id", path: "/api/configs/{cfg}", body: `{"toml":"[agent]\n  interval = \"30s\"\n"}`, target: "id={cfg}"},
		{method: "PATCH", route: "/api/configs/:id/versions/:n", path: "/api/configs/{cfg}/versions/2", body: `{"note":"n"}`, target: "id={cfg}"},
		{method: "POST", route: "/api/configs/:id/rollback", path: "/api/configs/{cfg}/rollback", body: `{"version":1}`, target: "id={cfg}"},
		{method: "DELETE", route: "/api/configs/:id/versions", path: "/api/configs/{cfg}/versions?before=2", target: "id={cfg}"},
		{method: "POST", route: "/api/rollouts", body: `{"config":"{cfg}","toml":"[agent]\n  interval = \"40s\"\n","stages":[{"percent":50},{"percent":100}],"wait":"1h"}`, save: map[string]string{"ro": "id"}, target: "id={ro}"},
		{method: "POST", route: "/api/rollouts/:id/pause", path: "/api/rollouts/{ro}/pause", target: "id={ro}"},
		{method: "POST", route: "/api/rollouts/:id/resume", path: "/api/rollouts/{ro}/resume", target: "id={ro}"},
		{method: "POST", route: "/api/rollouts/:id/abort", path: "/api/rollouts/{ro}/abort", body: `{"reason":"walk"}`, target: "id={ro}"},
		{method: "POST", route: "/api/configs/:id/assign/:labelId", path: "/api/configs/{cfg}/assign/{l1}", target: "id={cfg}"},
		{method: "DELETE", route: "/api/configs/:id/labels/:labelId", path: "/api/configs/{cfg}/labels/{l1}", target: "labelId={l1}"},
		{method: "PUT", route: "/api/configs/:id/labels/:labelId", path: "/api/configs/{cfg}/labels/{l1}", target: "labelId={l1}"},
		{method: "PUT", route: "/api/configs/bulk/labels/assign", body: `{"ids":["{cfg}"],"labelIds":["{l2}"]}`},
		{method: "PUT", route: "/api/configs/bulk/labels/remove", body: `{"ids":["{cfg}"],"labelIds":["{l2}"]}`},
		{method: "POST", route: "/api/constants", body: `{"name":"c1","value":"v"}`, target: "name=c1"},
		{method: "PUT", route: "/api/constants/:name", path: "/api/constants/c2", body: `{"value":"w"}`, target: "name=c2"},
		{method: "PATCH", route: "/api/constants/:name", path: "/api/constants/c1", body: `{"value":"x"}`, target: "name=c1"},
		{method: "DELETE", route: "/api/constants/:name", path: "/api/constants/c2", target: "name=c2"},
		{method: "POST", route: "/api/configs", body: `{"name":"db","toml":"[[inputs.cpu]]\n"}`, save: map[string]string{"cfg2": "id"}},
		{method: "POST", route: "/api/config-groups", body: `{"name":"g","members":["{cfg}"]}`, save: map[string]string{"grp": "id"}, target: "id={grp}"},
		{method: "PATCH", route: "/api/config-groups/:id", path: "/api/config-groups/{grp}", body: `{"name":"g","description":"d","members":["{cfg}","{cfg2}"]}`, target: "id={grp}"},
		{method: "POST", route: "/api/config-groups/:id/assign/:labelId", path: "/api/config-groups/{grp}/assign/{l1}", target: "id={grp}"},
		{method: "DELETE", route: "/api/config-groups/:id/labels/:labelId", path: "/api/config-groups/{grp}/labels/{l1}", target: "id={grp}"},
		{method: "PUT", route: "/api/config-groups/:id/labels/:labelId", path: "/api/config-groups/{grp}/labels/{l1}", target: "id={grp}"},
		{method: "PUT", route: "/api/config-groups/bulk/labels/assign", body: `{"ids":["{grp}"],"labelIds":["{l2}"]}`},
		{method: "PUT", route: "/api/config-groups/bulk/labels/remove", body: `{"ids":["{grp}"],"labelIds":["{l2}"]}`},
		{method: "PUT", route: "/api/aliases/:alias", path: "/api/aliases/prod", body: `{"configId":"{cfg}"}`, target: "alias=prod"},
		{method: "DELETE", route: "/api/aliases/:alias", path: "/api/aliases/prod", target: "alias=prod"},
		{method: "PUT", route: "/api/agents/:id/labels/:labelId", path: "/api/agents/a1/labels/{l1}", target: "id=a1"},
		{method: "DELETE", route: "/api/agents/:id/labels/:labelId", path: "/api/agents/a1/labels/{l1}", target: "id=a1"},
		{method: "PUT", route: "/api/agents/bulk/labels/assign", body: `{"ids":["a1","a2"],"labelIds":["{l1}"]}`},
		{method: "PUT", route: "/api/agents/bulk/labels/remove", body: `{"ids":["a1","a2"],"labelIds":["{l1}"]}`},
		{method: "POST", route: "/api/reporting-rules", body: `{"name":"r1","notReportingAfter":300}`, save: map[string]string{"r1": "id"}, target: "id={r1}"},
		{method: "POST", route: "/api/reporting-rules", body: `{"name":"r2","notReportingAfter":600}`, save: map[string]string{"r2": "id"}, target: "id={r2}"},
		{method: "PATCH", route: "/api/reporting-rules/:id", path: "/api/reporting-rules/{r1}", body: `{"description":"d"}`, target: "id={r1}"},
		{method: "PUT", route: "/api/agents/:id/reporting-rule", path: "/api/agents/a1/reporting-rule", body: `{"ruleId":"{r1}"}`, target: "id=a1"},
		{method: "PUT", route: "/api/agents/bulk/reporting-rule", body: `{"ids":["a1","a2"],"ruleId":"{r1}"}`},
		{method: "POST", route: "/api/reporting-rules/:id/default", path: "/api/reporting-rules/{r1}/default", target: "id={r1}"},
		{method: "DELETE", route: "/api/reporting-rules/:id", path: "/api/reporting-rules/{r2}", target: "id={r2}"},
		{method: "DELETE", route: "/api/agents/:id", path: "/api/agents/a1", target: "id=a1"},
		{method: "POST", route: "/api/agents/bulk/delete", body: `{"ids":["a2"]}`},
		{method: "POST", route: "/api/notifications/receivers", body: `{"name":"hook","kind":"webhook","url":"http://127.0.0.1:9/"}`, save: map[string]string{"rcv": "id"}, target: "id={rcv}"},
		{method: "PATCH", route: "/api/notifications/receivers/:id", path: "/api/notifications/receivers/{rcv}", body: `{"description":"d"}`, target: "id={rcv}"},
		{method: "POST", route: "/api/notifications/receivers/:id/test", path: "/api/notifications/receivers/{rcv}/test", target: "id={rcv}"},
		{method: "POST", route: "/api/notifications/rules", body: `{"name":"down","event":"agent.not_reporting","receivers":["{rcv}"]}`, save: map[string]string{"nr": "id"}, target: "id={nr}"},
		{method: "PATCH", route: "/api/notifications/rules/:id", path: "/api/notifications/rules/{nr}", body: `{"description":"d"}`, target: "id={nr}"},
		{method: "DELETE", route: "/api/notifications/rules/:id", path: "/api/notifications/rules/{nr}", target: "id={nr}"},
		{method: "DELETE", route: "/api/notifications/receivers/:id", path: "/api/notifications/receivers/{rcv}", target: "id={rcv}"},
		{method: "POST", route: "/api/advisories/import", body: osv},
		{method: "PUT", route: "/api/advisories/:id/acknowledgement", path: "/api/advisories/TCTEST-WALK-1/acknowledgement", body: `{"note":"n"}`, target: "id=TCTEST-WALK-1"},
		{method: "DELETE", route: "/api/advisories/:id/acknowledgement", path: "/api/advisories/TCTEST-WALK-1/acknowledgement", target: "id=TCTEST-WALK-1"},
		{method: "PUT", route: "/api/secret-sets/:set/secrets/:name", path: "/api/secret-sets/s1/secrets/pw", body: `{"value":"hunter2"}`, target: "name=pw,set=s1"},
		{method: "PUT", route: "/api/secret-sets/:set/secrets/:name", path: "/api/secret-sets/s1/secrets/pw2", body: `{"value":"hunter3"}`, target: "name=pw2,set=s1"},
		{method: "PUT", route: "/api/secret-sets/:set/cipher", path: "/api/secret-sets/s1/cipher", body: `{"cipher":"none"}`, target: "set=s1"},
		{method: "DELETE", route: "/api/secret-sets/:set/secrets/:name", path: "/api/secret-sets/s1/secrets/pw2", target: "name=pw2,set=s1"},
		{method: "DELETE", route: "/api/secret-sets/:set", path: "/api/secret-sets/s1", target: "set=s1"},
		{method: "DELETE", route: "/api/config-groups/:id", path: "/api/config-groups/{grp}", target: "id={grp}"},
		{method: "DELETE", route: "/api/configs/:id", path: "/api/configs/{cfg2}", target: "id={cfg2}"},
		{method: "DELETE", route: "/api/labels/:id", path: "/api/labels/{l2}", target: "id={l2}"},
		{method: "POST", route: "/api/users/transfer-ownership", body: `{"userId":"alice"}`},
	}
	covered := map[string]bool{}
	seq := int64(0)
	for i, s := range steps {
		if s.route == "/api/agents/:id/labels/:labelId" && s.method == "PUT" {
			hb("a1")
			hb("a2")
		}
		path := s.path
		if path == "" {
			path = s.route
		}
		path = fill(path)
		var body io.Reader
		if s.body != "" {
			body = strings.NewReader(fill(s.body))
		}
		req, _ := http.NewRequest(s.method, d.URL+path, body)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		switch s.auth {
		case "-":
		case "":
			req.Header.Set("Authorization", "Bearer "+vars["owner"])
		default:
			req.Header.Set("Authorization", "Bearer "+vars[s.auth])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("step %d %s %s: %d %s", i, s.method, path, resp.StatusCode, raw)
		}
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		for v, field := range s.save {
			val, ok := out[field].(string)
			if !ok {
				t.Fatalf("step %d %s %s: no %q in %s", i, s.method, path, field, raw)
			}
			vars[v] = val
		}
		var rows []struct {
			Seq                            int64
			Action, Target, Outcome, Actor string
			Status                         int
		}
		if err := d.Store().Gorm(bg).Raw("SELECT seq, action, target, outcome, actor, status FROM audit_log WHERE seq > ? ORDER BY seq", seq).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("step %d %s %s left %d audit entries, want 1: %+v", i, s.method, path, len(rows), rows)
		}
		e := rows[0]
		seq = e.Seq
		if e.Action != s.method+" "+s.route || e.Outcome != "success" || e.Status != resp.StatusCode {
			t.Errorf("step %d %s %s: entry %+v (answered %d)", i, s.method, path, e, resp.StatusCode)
		}
		if s.target != "" && !strings.Contains(e.Target, fill(s.target)) {
			t.Errorf("step %d %s %s: target %q does not name %q", i, s.method, path, e.Target, fill(s.target))
		}
		covered[s.method+" "+s.route] = true
	}
	var missing []string
	for _, r := range d.API().Routes() {
		if r.Method != "GET" && r.Method != "HEAD" && !covered[r.Method+" "+r.Path] {
			missing = append(missing, r.Method+" "+r.Path)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("write routes without a successful step here: %v", missing)
	}
	rep, err := login(t, d, "alice", "alicepass2").VerifyAudit(bg, "") // the owner now
	if err != nil || !rep.OK || rep.Entries != seq+1 {                 // and that login
		t.Fatalf("chain after the walk: %+v %v", rep, err)
	}
	t.Log(fmt.Sprintf("%d write routes, %d entries", len(covered), seq))
}
