package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// routeSpec says how the bad-input test treats a route: whether handlers
// decode a JSON body, whether it is a paginated list, and extra cases of
// its own. Every registered route must have one, so a new route without
// cases fails TestBadInputEveryRoute.
type routeSpec struct {
	body  bool     // decodes a JSON body
	list  bool     // takes limit/offset
	extra []string // extra bodies (body routes) or query strings ("?…")
}

var badInputRoutes = map[string]routeSpec{
	"GET /api/rollouts":                             {extra: []string{"?active=maybe", "?limit=-1", "?limit=x", "?config=%00"}},
	"POST /api/rollouts":                            {body: true, extra: []string{`{"config":"x","to":-1}`, `{"config":"x","to":2,"stages":[{"percent":150}]}`, `{"config":"x","to":2,"stages":[{"count":1,"percent":5}]}`, `{"config":"x","to":2,"wait":"soon"}`, `{"config":"x","to":2,"heartbeats":-1}`, `{"config":"x","to":2,"stages":[{"selector":"a in (b"}]}`, `{"config":"x","toml":"[agent"}`, `{"config":"","to":2}`}},
	"GET /api/rollouts/:id":                         {},
	"POST /api/rollouts/:id/pause":                  {body: true, extra: []string{`{"reason":"` + strings.Repeat("r", 1001) + `"}`, `{"reason":5}`}},
	"POST /api/rollouts/:id/resume":                 {body: true, extra: []string{`{"reason":"` + strings.Repeat("r", 1001) + `"}`}},
	"POST /api/rollouts/:id/abort":                  {body: true, extra: []string{`{"reason":"` + strings.Repeat("r", 1001) + `"}`}},
	"GET /api/configs/:id/serving":                  {},
	"GET /api/advisories":                           {list: true, extra: []string{"?severity=extreme", "?all=maybe", "?all=%00"}},
	"POST /api/advisories/import":                   {body: true, extra: []string{`PK` + "\x03\x04" + `not a zip`, `{"id":"X-1","affected":[{"package":{"ecosystem":"Go","name":"github.com/influxdata/telegraf"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.36.0"},{"fixed":"1.38"}]}]}]}`, `[{"id":"X-1","affected":[]},{"id":"X-2","affected":"all"}]`}},
	"GET /api/advisories/:id":                       {},
	"PUT /api/advisories/:id/acknowledgement":       {body: true, extra: []string{`{"note":""}`, `{"note":"line\nbreak"}`, `{"note":"` + strings.Repeat("n", 501) + `"}`}},
	"DELETE /api/advisories/:id/acknowledgement":    {},
	"GET /api/agents":                               {list: true, extra: []string{"?status=%27%3B+DROP+TABLE+agents%3B--", "?sort=id%3BDROP", "?label=%00", "?exposed=maybe", "?severity=%27", "?advisory=NOPE-1", "?configState=bogus", "?configState=%27"}},
	"DELETE /api/agents/:id":                        {},
	"GET /api/agents/:id":                           {},
	"GET /api/agents/:id/heartbeats":                {extra: []string{"?limit=-1", "?limit=99999999999999999999", "?from=not-a-time", "?to=%27"}},
	"DELETE /api/agents/:id/labels/:labelId":        {},
	"PUT /api/agents/:id/labels/:labelId":           {},
	"GET /api/agents/:id/logs":                      {},
	"PUT /api/agents/:id/reporting-rule":            {body: true, extra: []string{`{"ruleId":"'; DROP TABLE agents; --"}`}},
	"POST /api/agents/bulk/delete":                  {body: true, extra: []string{`{"ids":"x"}`, `{"ids":[]}`, `{"ids":[1,2]}`}},
	"PUT /api/agents/bulk/labels/assign":            {body: true, extra: []string{`{"ids":["a"],"labelIds":[]}`}},
	"PUT /api/agents/bulk/labels/remove":            {body: true, extra: []string{`{"ids":[],"labelIds":["x"]}`}},
	"PUT /api/agents/bulk/reporting-rule":           {body: true, extra: []string{`{"ids":["a"],"ruleId":""}`}},
	"GET /api/agents/summary":                       {extra: []string{"?status=bogus"}},
	"GET /api/aliases":                              {},
	"DELETE /api/aliases/:alias":                    {},
	"GET /api/aliases/:alias":                       {},
	"PUT /api/aliases/:alias":                       {body: true, extra: []string{`{"configId":"../../etc/passwd"}`, `{"configId":"x","groupId":"y"}`, `{"transfer":"yes"}`}},
	"GET /api/audit":                                {list: true, extra: []string{"?from=yesterday", "?actor=%ff"}},
	"GET /api/audit/verify":                         {extra: []string{"?head=abc", "?head=1:xyz", "?head=-1:" + strings.Repeat("0", 64), "?head=%00"}},
	"POST /api/auth/invites/accept":                 {body: true, extra: []string{`{"code":"'; DROP TABLE invites; --","password":"x"}`}},
	"POST /api/auth/login":                          {body: true},
	"POST /api/auth/login/local":                    {body: true},
	"POST /api/auth/logout":                         {},
	"GET /api/auth/me":                              {},
	"PATCH /api/auth/me":                            {body: true, extra: []string{`{"email":"not-an-email"}`, `{"password":""}`}},
	"POST /api/auth/password-reset":                 {body: true, extra: []string{`{"code":"%00","password":"x"}`}},
	"POST /api/auth/setup":                          {body: true},
	"GET /api/config-groups":                        {list: true},
	"POST /api/config-groups":                       {body: true, extra: []string{`{"name":"g","members":"x"}`, `{"name":"g","members":["../../x"]}`}},
	"DELETE /api/config-groups/:id":                 {},
	"GET /api/notifications/log":                    {list: true, extra: []string{"?since=yesterday", "?receiver=%00", "?outcome=maybe"}},
	"GET /api/notifications/receivers":              {},
	"POST /api/notifications/receivers":             {body: true, extra: []string{`{"name":"r","kind":"carrier-pigeon","url":"http://127.0.0.1:9/"}`, `{"name":"r","kind":"webhook","url":"file:///etc/passwd"}`, `{"name":"r","kind":"webhook","url":"http://127.0.0.1:9/","rateLimit":-1}`, `{"name":"r","kind":"email"}`}},
	"GET /api/notifications/receivers/:id":          {},
	"PATCH /api/notifications/receivers/:id":        {body: true, extra: []string{`{"url":"not a url"}`, `{"headers":{"bad\nname":"x"}}`}},
	"DELETE /api/notifications/receivers/:id":       {},
	"POST /api/notifications/receivers/:id/test":    {},
	"GET /api/notifications/rules":                  {},
	"POST /api/notifications/rules":                 {body: true, extra: []string{`{"name":"n","event":"agent.exploded","receivers":["bad-input"]}`, `{"name":"n","event":"agent.not_reporting","receivers":[]}`, `{"name":"n","event":"agent.not_reporting","receivers":["bad-input"],"selector":"site in (a"}`, `{"name":"n","event":"agent.not_reporting","receivers":["bad-input"],"for":-5}`}},
	"GET /api/notifications/rules/:id":              {},
	"PATCH /api/notifications/rules/:id":            {body: true, extra: []string{`{"event":"nope"}`, `{"receivers":["no-such-receiver"]}`}},
	"DELETE /api/notifications/rules/:id":           {},
	"GET /api/config-groups/:id":                    {},
	"PATCH /api/config-groups/:id":                  {body: true, extra: []string{`{"members":[1]}`}},
	"POST /api/config-groups/:id/assign/:labelId":   {},
	"DELETE /api/config-groups/:id/labels/:labelId": {},
	"PUT /api/config-groups/:id/labels/:labelId":    {},
	"GET /api/config-groups/:id/toml":               {},
	"PUT /api/config-groups/bulk/labels/assign":     {body: true},
	"PUT /api/config-groups/bulk/labels/remove":     {body: true},
	"GET /api/configs":                              {list: true, extra: []string{"?sort=name%3B+DROP+TABLE+configs"}},
	"POST /api/configs":                             {body: true, extra: []string{`{"name":"c","toml":"[[inputs.cpu]"}`, `{"id":"../../etc","name":"c","toml":""}`, `{"name":"c","toml":123}`}},
	"DELETE /api/configs/:id":                       {},
	"GET /api/configs/:id":                          {},
	"PATCH /api/configs/:id":                        {body: true, extra: []string{`{"toml":"a = "}`}},
	"PUT /api/configs/:id":                          {body: true, extra: []string{`{"toml":"[x"}`}},
	"POST /api/configs/:id/assign/:labelId":         {},
	"GET /api/configs/:id/diff":                     {extra: []string{"?from=-1&to=99999999999999999999", "?from=abc"}},
	"DELETE /api/configs/:id/labels/:labelId":       {},
	"PUT /api/configs/:id/labels/:labelId":          {},
	"POST /api/configs/:id/rollback":                {body: true, extra: []string{`{"version":-1}`, `{"version":99999999999999999999}`, `{"version":"1"}`}},
	"GET /api/configs/:id/toml":                     {},
	"DELETE /api/configs/:id/versions":              {extra: []string{"?before=-1", "?before=99999999999999999999", "?before=x"}},
	"GET /api/configs/:id/versions":                 {},
	"GET /api/configs/:id/versions/:n":              {},
	"PATCH /api/configs/:id/versions/:n":            {body: true, extra: []string{`{"note":123}`}},
	"PUT /api/configs/bulk/labels/assign":           {body: true},
	"PUT /api/configs/bulk/labels/remove":           {body: true},
	"GET /api/constants":                            {},
	"POST /api/constants":                           {body: true, extra: []string{`{"name":"a b","value":"x"}`, `{"name":"ok","value":"a\u0000b"}`, `{"name":"ok","value":"a\nb"}`}},
	"DELETE /api/constants/:name":                   {},
	"GET /api/constants/:name":                      {},
	"PATCH /api/constants/:name":                    {body: true, extra: []string{`{"value":"line\nbreak"}`}},
	"PUT /api/constants/:name":                      {body: true, extra: []string{`{"value":"nul\u0000"}`, `{"value":"esc\u001b[2J"}`}},
	"GET /api/resources":                            {extra: []string{"?kind=Nope", "?kind=%00", "?label=a%2Fb", "?label=%00"}},
	"POST /api/apply": {body: true, extra: []string{`{"resources":"x"}`, `{"resources":[{"apiVersion":"tc/v2","kind":"Config"}]}`,
		`{"resources":[{"apiVersion":"tc/v1","kind":"Config","metadata":{"name":"../x","id":"../../etc"},"spec":{"toml":"[[inputs.cpu]"}}]}`,
		`{"resources":[{"apiVersion":"tc/v1","kind":"Alias","metadata":{"name":"a"},"spec":{"config":"x","group":"y"}}]}`,
		`{"resources":[],"prune":true,"pruneKinds":["Nope"]}`, `{"resources":[{"apiVersion":"tc/v1","kind":"Constant","metadata":{"name":"x"},"spec":{"value":"a\nb"}}]}`}},
	"GET /api/labels":                            {list: true},
	"POST /api/labels":                           {body: true, extra: []string{`{"name":"l","color":"'; DROP TABLE labels; --"}`, `{"name":"a/b"}`}},
	"DELETE /api/labels/:id":                     {},
	"GET /api/labels/:id":                        {},
	"PATCH /api/labels/:id":                      {body: true, extra: []string{`{"color":"red"}`}},
	"GET /api/openapi.json":                      {},
	"GET /api/reporting-rules":                   {},
	"POST /api/reporting-rules":                  {body: true, extra: []string{`{"name":"r","notReportingAfter":-5}`, `{"name":"r","notReportingAfter":99999999999999999999}`}},
	"DELETE /api/reporting-rules/:id":            {},
	"GET /api/reporting-rules/:id":               {},
	"PATCH /api/reporting-rules/:id":             {body: true, extra: []string{`{"notReportingAfter":-1}`, `{"notReportingAfter":1.5}`}},
	"POST /api/reporting-rules/:id/default":      {},
	"GET /api/secret-sets":                       {},
	"DELETE /api/secret-sets/:set":               {},
	"PUT /api/secret-sets/:set/cipher":           {body: true, extra: []string{`{"cipher":"DES"}`, `{"cipher":"AES128/CBC"}`, `{"cipher":""}`, `{"cipher":7}`}},
	"GET /api/secret-sets/:set/secrets":          {},
	"PUT /api/secret-sets/:set/secrets/:name":    {body: true, extra: []string{`{"value":""}`, `{"value":"nul\u0000"}`, `{"value":"` + strings.Repeat("v", 70000) + `"}`, `{"value":7}`, `{"value":null}`}},
	"DELETE /api/secret-sets/:set/secrets/:name": {},
	"GET /api/secret-sets/:set/values":           {},
	"GET /api/settings":                          {},
	"PATCH /api/settings":                        {body: true, extra: []string{`{"loginLockoutAttempts":-1}`, `{"loginLockoutAttempts":99999999999999999999}`, `{"passwordComplexity":"extreme"}`}},
	"GET /api/settings/public":                   {},
	"GET /api/tokens":                            {list: true},
	"POST /api/tokens":                           {body: true, extra: []string{`{"description":"t","permissions":["root:all"]}`, `{"description":"t","preset":"x"}`, `{"description":"t","expiresIn":"-1h"}`, `{"description":"t","expiresIn":"99999999999h"}`}},
	"DELETE /api/tokens/:id":                     {},
	"GET /api/tokens/:id":                        {},
	"POST /api/tokens/:id/reassign":              {body: true, extra: []string{`{"user":"'; DROP TABLE users; --"}`}},
	"POST /api/tokens/:id/revoke":                {},
	"GET /api/tokens/capabilities":               {},
	"GET /api/users":                             {list: true, extra: []string{"?role=god"}},
	"DELETE /api/users/:id":                      {},
	"GET /api/users/:id":                         {},
	"PATCH /api/users/:id":                       {body: true, extra: []string{`{"role":"god"}`, `{"disabled":"yes"}`}},
	"POST /api/users/:id/password-reset":         {body: true, extra: []string{`{"expiresInHours":-1}`, `{"expiresInHours":99999999999999999999}`}},
	"GET /api/users/invites":                     {list: true},
	"POST /api/users/invites":                    {body: true, extra: []string{`{"username":"n","email":"n@example.com","role":"viewer","expiresInHours":-3}`}},
	"DELETE /api/users/invites/:id":              {},
	"POST /api/users/transfer-ownership":         {body: true, extra: []string{`{"userId":"'; DROP TABLE users; --"}`}},
	"GET /c/:alias":                              {},
	"GET /health/leader":                         {},
	"GET /health/live":                           {},
	"GET /health/ready":                          {},
	"GET /metrics":                               {},
}

// hostileSegments replace path parameters: traversal, SQL, very long,
// control characters, invalid UTF-8, numbers out of range.
var hostileSegments = []string{
	"..%2F..%2Fetc%2Fpasswd", "%2e%2e", "..%5C..%5Cwindows", "%27%3B%20DROP%20TABLE%20users%3B%20--", "1%20OR%201%3D1",
	strings.Repeat("x", 5000), "a%00b", "%0d%0aX-Injected:%201", "%ff%fe", "-1", "99999999999999999999", "%E2%80%AE",
}

// badBodies are invalid for every route that decodes a body.
func badBodies() []string {
	return []string{
		`{"name":`, `[1,2]`, `"a string"`, `42`, `null`, ``,
		`{"zz_unknown_field":1}`, `{"name":123}`, `{"name":["x"]}`, `{"name":{"a":1}}`, `{"name":true}`,
		"{\"name\":\"a\xffb\"}", `{"name":"'; DROP TABLE users; --","zz":1}`, `{"name":"x"} {"trailing":1}`,
		`{"name":"` + strings.Repeat("n", 200_000) + `","zz":1}`,
		`{"name":"` + strings.Repeat("h", 2<<20) + `"}`, // over the body limit
		`{"name":"ctl` + "\x01\x02" + `"}`,
	}
}

type badCase struct {
	method, path, body string
}

func envelopeOK(status int, body []byte) bool {
	var env struct{ Code, Message string }
	return status >= 400 && status < 500 && json.Unmarshal(body, &env) == nil && env.Code != "" && env.Message != ""
}

// dumpTables returns every row of the tables bad input must not change.
func dumpTables(t *testing.T, d *testutil.TCD) string {
	t.Helper()
	db := d.Store().Gorm(bg)
	tables := []string{"users", "invites", "password_resets", "api_tokens", "settings", "configs", "config_versions",
		"config_groups", "config_group_members", "config_group_labels", "config_labels", "aliases", "constants", "labels",
		"reporting_rules", "agents", "agent_history", "agent_labels", "advisories", "secret_sets", "secrets"}
	var sb strings.Builder
	for _, table := range tables {
		var rows []map[string]any
		if err := db.Raw("SELECT * FROM " + table).Scan(&rows).Error; err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		lines := make([]string, len(rows))
		for i, r := range rows {
			delete(r, "last_used_at") // token use is recorded asynchronously
			delete(r, "last_login_at")
			b, _ := json.Marshal(r)
			lines[i] = string(b)
		}
		sort.Strings(lines)
		fmt.Fprintf(&sb, "%s:\n%s\n", table, strings.Join(lines, "\n"))
	}
	return sb.String()
}

// Issue 6: bad input on every registered API route and on the heartbeat
// listener is a 4xx with the envelope, never a 5xx or a panic, and changes
// nothing in the database.
func TestBadInputEveryRoute(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of requests: not in -short")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		tok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw

		// Something to point the valid parameters at.
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "bad-input", TOML: "[[inputs.cpu]]\n"}))
		lbl := must[tc.Label](t)(owner.CreateLabel(bg, tc.LabelRequest{Name: "bad-input"}))
		grp := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "bad-input", Members: []string{cfg.ID}}))
		must[tc.Alias](t)(owner.PutAlias(bg, "bad-alias", tc.AliasRequest{ConfigID: cfg.ID}))
		must[tc.Constant](t)(owner.SetConstant(bg, "bad_const", "v"))
		must[tc.Secret](t)(owner.SetSecret(bg, "bad_set", "bad_const", "bad-input-secret"))
		nra := int64(600)
		rname := "bad-input"
		rule := must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: &rname, NotReportingAfter: &nra}))
		inv := must[tc.Invite](t)(owner.CreateInvite(bg, tc.InviteRequest{Username: "invitee", Email: "invitee@example.com", Role: tc.RoleViewer}))
		rcvName, ruleName, notifyEvent := "bad-input", "bad-input", tc.EventAgentNotReporting
		rcvKind, rcvURL := "webhook", "http://127.0.0.1:9/"
		rcv := must[tc.NotifyReceiver](t)(owner.CreateNotifyReceiver(bg, tc.NotifyReceiverRequest{Name: &rcvName, Kind: &rcvKind, URL: &rcvURL}))
		nrule := must[tc.NotifyRule](t)(owner.CreateNotifyRule(bg, tc.NotifyRuleRequest{Name: &ruleName, Event: &notifyEvent, Receivers: &[]string{rcv.ID}}))
		adv := must[tc.AdvisoryImportResult](t)(owner.ImportAdvisories(bg, rawEntries(t, advisoryFile(t, "TCTEST-2026-0001.json"))))
		if code, _ := postHeartbeat(t, d, "Token "+tok, hbBody("bad-agent", 1)); code != 200 {
			t.Fatalf("heartbeat: %d", code)
		}
		tokens := must[tc.List[tc.Token]](t)(owner.ListTokens(bg, "", tc.Page{}))
		valid := func(path, param string) string {
			switch {
			case param == ":labelId":
				return lbl.ID
			case param == ":n":
				return "1"
			case param == ":alias":
				return "bad-alias"
			case param == ":set":
				return "bad_set"
			case param == ":name":
				return "bad_const"
			case strings.HasPrefix(path, "/api/agents/"):
				return "bad-agent"
			case strings.HasPrefix(path, "/api/notifications/receivers/"):
				return rcv.ID
			case strings.HasPrefix(path, "/api/notifications/rules/"):
				return nrule.ID
			case strings.HasPrefix(path, "/api/advisories/"):
				return adv.Added[0]
			case strings.HasPrefix(path, "/api/config-groups/"):
				return grp.ID
			case strings.HasPrefix(path, "/api/configs/"), strings.HasPrefix(path, "/api/rollouts/"):
				return cfg.ID
			case strings.HasPrefix(path, "/api/labels/"):
				return lbl.ID
			case strings.HasPrefix(path, "/api/reporting-rules/"):
				return rule.ID
			case strings.HasPrefix(path, "/api/tokens/"):
				return tokens.Items[0].ID
			case strings.HasPrefix(path, "/api/users/invites/"):
				return inv.ID
			case strings.HasPrefix(path, "/api/users/"):
				return "invitee-nobody"
			}
			t.Fatalf("no valid value for %s in %s", param, path)
			return ""
		}
		fill := func(path string, hostile string, which int) string {
			segs := strings.Split(path, "/")
			k := 0
			for i, s := range segs {
				if strings.HasPrefix(s, ":") {
					if k == which {
						segs[i] = hostile
					} else {
						segs[i] = valid(path, s)
					}
					k++
				}
			}
			return strings.Join(segs, "/")
		}

		methods := map[string]map[string]bool{} // path → registered methods
		var cases []badCase
		seen := map[string]bool{}
		for _, r := range d.API().App().GetRoutes(true) {
			if r.Method == "USE" || r.Method == http.MethodHead || r.Method == http.MethodOptions || r.Path == "/" {
				continue
			}
			key := r.Method + " " + r.Path
			if seen[key] {
				continue
			}
			seen[key] = true
			if methods[r.Path] == nil {
				methods[r.Path] = map[string]bool{}
			}
			methods[r.Path][r.Method] = true
			spec, ok := badInputRoutes[key]
			if !ok {
				t.Errorf("route %s has no bad-input cases: add it to badInputRoutes", key)
				continue
			}
			nParams := strings.Count(r.Path, "/:")
			for p := 0; p < nParams; p++ {
				for _, h := range hostileSegments {
					body := ""
					if spec.body {
						body = `{}`
					}
					cases = append(cases, badCase{r.Method, fill(r.Path, h, p), body})
				}
			}
			if spec.body {
				for _, b := range append(badBodies(), spec.extra...) {
					cases = append(cases, badCase{r.Method, fill(r.Path, "", -1), b})
				}
			} else {
				for _, q := range spec.extra {
					cases = append(cases, badCase{r.Method, fill(r.Path, "", -1) + q, ""})
				}
			}
			if spec.list {
				for _, q := range []string{"?limit=-1", "?limit=99999999999999999999", "?limit=abc", "?offset=-1", "?offset=1e99", "?limit=0x10"} {
					cases = append(cases, badCase{r.Method, r.Path + q, ""})
				}
			}
		}
		for key := range badInputRoutes {
			if !seen[key] {
				t.Errorf("badInputRoutes names %s, which is not registered", key)
			}
		}
		for path, ms := range methods {
			for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
				if !ms[m] {
					cases = append(cases, badCase{m, fill(path, "", -1), `{}`})
				}
			}
		}

		before := dumpTables(t, d)
		hc := &http.Client{}
		do := func(base string, c badCase, auth string) {
			req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatalf("%s %s: %v", c.method, c.path, err)
			}
			req.Header.Set("Content-Type", "application/json")
			// The server closes the connection after refusing an oversized
			// request: do not reuse it for the next case.
			req.Close = len(c.path) > 1000 || len(c.body) > 1<<20
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := hc.Do(req)
			if err != nil {
				// fasthttp refuses an oversized body by answering 413 and
				// closing with the body unread; the client, still writing,
				// may see the reset instead of the answer. Refused is fine.
				if len(c.body) > 1<<20 && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe")) {
					return
				}
				t.Errorf("%s %.120s: %v", c.method, c.path, err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !envelopeOK(resp.StatusCode, body) {
				t.Errorf("%s %.120s body %.80q: %d %.300s", c.method, c.path, c.body, resp.StatusCode, body)
			}
		}
		for _, c := range cases {
			do(d.URL, c, "Bearer "+owner.Token())
		}

		// The heartbeat listener.
		hbCases := []badCase{}
		// Heartbeats are decoded liberally (issue 17): unknown fields,
		// statuses and schemas, out-of-range or mistyped optional values
		// are accepted within bounds (FuzzHeartbeatReadBack covers them);
		// what is refused is an unusable id or version and a bad schema.
		for _, b := range append(badBodies(),
			`{"id":"a\u0000b","version":"Telegraf 1.39.3"}`,
			`{"id":"`+strings.Repeat("i", 10000)+`","version":"Telegraf 1.39.3"}`,
			`{"id":["x"],"version":"Telegraf 1.39.3"}`,
			`{"id":"x","version":7}`,
			`{"id":"'; DROP TABLE agents; --","version":"Telegraf 1.39.3","schema":-1}`,
			`{"id":"x","version":"Telegraf 1.39.3","schema":1e400}`,
		) {
			hbCases = append(hbCases, badCase{"POST", "/agents/heartbeat", b})
		}
		for _, m := range []string{"GET", "PUT", "PATCH", "DELETE"} {
			hbCases = append(hbCases, badCase{m, "/agents/heartbeat", `{}`})
		}
		hbCases = append(hbCases, badCase{"POST", "/agents/heartbeat/..%2F..%2Fapi", hbBody("x", 1)}, badCase{"POST", "/nope", hbBody("x", 1)})
		for _, c := range hbCases {
			do(d.HeartbeatURL(), c, "Token "+tok)
		}
		for _, auth := range []string{"", "Token", "Bearer tc-apiv1_" + strings.Repeat("0", 64), "Basic eDp5", "Token '; DROP TABLE api_tokens; --"} {
			do(d.HeartbeatURL(), badCase{"POST", "/agents/heartbeat", hbBody("unauthorized", 1)}, auth)
		}
		t.Logf("%d API cases over %d routes, %d heartbeat cases", len(cases), len(seen), len(hbCases)+6)

		if after := dumpTables(t, d); after != before {
			t.Fatalf("bad input changed the database:\n%s", diffLines(before, after))
		}
		if _, err := owner.Me(bg); err != nil {
			t.Fatalf("owner session lost: %v", err)
		}
	})
}

func diffLines(a, b string) string {
	as, bs := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		as[l] = true
	}
	for _, l := range strings.Split(b, "\n") {
		bs[l] = true
	}
	var out []string
	for l := range as {
		if !bs[l] {
			out = append(out, "- "+l)
		}
	}
	for l := range bs {
		if !as[l] {
			out = append(out, "+ "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
