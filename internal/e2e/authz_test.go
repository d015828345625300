package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/api"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// specGroupResource maps the endpoint groups of PRODUCT §5 to their
// permission resources; specRoleCan is the role matrix of PRODUCT §3.1,
// written here independently of the code under test.
var specGroupResource = map[string]string{
	"agents": "agents", "configs": "configs", "labels": "labels", "reporting-rules": "reporting-rules", "heartbeat": "heartbeat",
}

func specRoleCan(role tc.Role, resource, action string) bool {
	if resource == "advisories" { // issue 23: importing and acknowledging advisories
		return action == "write" && role.Rank() >= tc.RoleAdministrator.Rank()
	}
	if _, ok := map[string]bool{"agents": true, "configs": true, "labels": true, "reporting-rules": true, "heartbeat": true}[resource]; !ok {
		return false
	}
	if action == "read" {
		return true // every role reads configs, agents, labels, rules, heartbeat data
	}
	return role != tc.RoleViewer
}

// specUngroupedResource names the resource of the routes outside the
// endpoint groups that the matrix covers too: advisories are read with
// agents:read (exposure is a view of the fleet) and written with
// advisories:write (issue 23).
func specUngroupedResource(method, path string) (string, bool) {
	if !strings.HasPrefix(path, "/api/advisories") {
		return "", false
	}
	if specAction(method) == "read" {
		return "agents", true
	}
	return "advisories", true
}

func specAction(method string) string {
	if method == "GET" || method == "HEAD" {
		return "read"
	}
	return "write"
}

var paramRe = regexp.MustCompile(`:[A-Za-z]+`)

// call sends one request to a route of the table with a placeholder for
// every path parameter and an empty JSON object as body.
func call(t *testing.T, base, method, path, auth string) (int, map[string]any) {
	t.Helper()
	p := paramRe.ReplaceAllStringFunc(path, func(s string) string { return "x-" + strings.ToLower(s[1:]) })
	var body io.Reader
	if method != "GET" && method != "HEAD" {
		body = strings.NewReader(`{}`)
	}
	req, _ := http.NewRequest(method, base+p, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &env)
	return resp.StatusCode, env
}

type principalCase struct {
	name string
	role tc.Role
	auth string
}

// Acceptance 1 (tokens issue): role × credential kind × endpoint group ×
// read/write over every grouped route of the router and the heartbeat
// listener: exactly what PRODUCT §3.1/§4 allow passes, the rest is 403
// naming the permission, and 401 without credentials.
func TestPermissionMatrix(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		admin, _ := invite(t, d, owner, "alice", tc.RoleAdministrator)
		manager, _ := invite(t, d, owner, "mike", tc.RoleManager)
		viewer, _ := invite(t, d, owner, "vera", tc.RoleViewer)
		cases := []principalCase{
			{"owner session", tc.RoleOwner, "Bearer " + owner.Token()},
			{"administrator session", tc.RoleAdministrator, "Token " + admin.Token()},
			{"manager session", tc.RoleManager, "Bearer " + manager.Token()},
			{"viewer session", tc.RoleViewer, "Token " + viewer.Token()},
		}
		for _, c := range []struct {
			name string
			role tc.Role
			cl   interface {
				Token() string
			}
		}{{"owner", tc.RoleOwner, owner}, {"administrator", tc.RoleAdministrator, admin}, {"manager", tc.RoleManager, manager}} {
			cli := d.Client(t, c.cl.Token())
			tok := createToken(t, cli, tc.CreateTokenRequest{Description: c.name + " full", Preset: tc.PresetFullAccess})
			cases = append(cases, principalCase{c.name + " full-access token", c.role, "Bearer " + tok.Raw})
		}
		checked := map[string]bool{}
		for _, r := range d.API().Routes() {
			res, ok := specGroupResource[r.Group]
			if r.Group == "" {
				if res, ok = specUngroupedResource(r.Method, r.Path); !ok {
					continue
				}
			} else if !ok {
				t.Fatalf("route %s %s has unknown group %q", r.Method, r.Path, r.Group)
			}
			need := tc.Perm(res, specAction(r.Method))
			if r.Perm != need {
				t.Errorf("route %s %s requires %s, the spec says %s", r.Method, r.Path, r.Perm, need)
			}
			if r.Group == "" {
				checked["ungrouped "+string(need)] = true
			} else {
				checked[r.Group+":"+specAction(r.Method)] = true
			}
			if s, _ := call(t, d.URL, r.Method, r.Path, ""); s != 401 {
				t.Errorf("%s %s without credentials: %d", r.Method, r.Path, s)
			}
			for _, pc := range cases {
				s, env := call(t, d.URL, r.Method, r.Path, pc.auth)
				allowed := specRoleCan(pc.role, res, specAction(r.Method))
				switch {
				case allowed && (s == 401 || s == 403):
					t.Errorf("%s: %s %s refused (%d %v)", pc.name, r.Method, r.Path, s, env["message"])
				case !allowed && (s != 403 || env["message"] != string(need)+" required"):
					t.Errorf("%s: %s %s gave %d %v, want 403 %q", pc.name, r.Method, r.Path, s, env["message"], string(need)+" required")
				}
			}
		}
		// The heartbeat listener: heartbeat:write.
		for _, pc := range cases {
			s, env := postHeartbeat(t, d, pc.auth, hbBody("matrix-"+strings.ReplaceAll(pc.name, " ", "-"), 1))
			if specRoleCan(pc.role, "heartbeat", "write") != (s == 200) || (s != 200 && env["message"] != "Insufficient permissions: heartbeat:write required") {
				t.Errorf("%s heartbeat: %d %v", pc.name, s, env)
			}
		}
		checked["heartbeat:write"] = true
		for _, k := range []string{"ungrouped agents:read", "ungrouped advisories:write"} {
			if !checked[k] {
				t.Errorf("no advisory route covers %s", k)
			}
		}
		for _, g := range api.Groups {
			for _, a := range []string{"read", "write"} {
				if !checked[g+":"+a] {
					t.Errorf("no route covers %s %s", g, a)
				}
			}
		}
	})
}

// Acceptance 2: a telegraf-agent token reads configs and sends heartbeats,
// and gets 403 on every other permissioned route.
func TestTelegrafAgentPreset(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "agents", TOML: "[agent]\n  hostname = \"&{agent_id}\"\n"}))
		tok := createToken(t, owner, tc.CreateTokenRequest{Description: "fleet", Preset: tc.PresetTelegrafAgent}).Raw
		for _, scheme := range []string{"Token ", "Bearer "} {
			req, _ := http.NewRequest("GET", d.URL+"/api/configs/"+cfg.ID+"/toml?agent_id=a1", nil)
			req.Header.Set("Authorization", scheme+tok)
			req.Header.Set("Accept", "application/toml")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), `hostname = "a1"`) {
				t.Fatalf("%sconfig GET: %d %s", scheme, resp.StatusCode, b)
			}
		}
		if s, env := postHeartbeat(t, d, "Bearer "+tok, hbBody("agent-1", 1)); s != 200 {
			t.Fatalf("heartbeat: %d %v", s, env)
		}
		allowed := map[tc.Permission]bool{tc.Perm(tc.ResConfigs, tc.ActRead): true, tc.Perm(tc.ResHeartbeat, tc.ActWrite): true}
		n := 0
		for _, r := range d.API().Routes() {
			if r.Perm == "" || r.Public || allowed[r.Perm] {
				continue // public routes, routes about the caller, and what the preset grants
			}
			n++
			if s, env := call(t, d.URL, r.Method, r.Path, "Bearer "+tok); s != 403 {
				t.Errorf("%s %s with the agent token: %d %v", r.Method, r.Path, s, env)
			}
		}
		if n < 30 {
			t.Fatalf("only %d routes checked", n)
		}
	})
}

// Acceptance 6: DISABLED_AUTH_ENDPOINTS opens exactly the named groups;
// credentials that are present are still verified; "*" opens the five
// groups and nothing else.
func TestDisabledAuthEndpoints(t *testing.T) {
	for _, tcase := range []struct {
		name string
		open []string
	}{{"configs,heartbeat", []string{"configs", "heartbeat"}}, {"*", api.Groups}} {
		t.Run(tcase.name, func(t *testing.T) {
			d := testutil.StartTCDWith(t, withOpen(testutil.DefaultConfig(testutil.SQLiteDSN(t)), tcase.open...), testutil.NewClock())
			d.Setup(t)
			open := map[string]bool{}
			for _, g := range tcase.open {
				open[g] = true
			}
			for _, r := range d.API().Routes() {
				if r.Public {
					continue
				}
				s, env := call(t, d.URL, r.Method, r.Path, "")
				if open[r.Group] {
					if s == 401 || s == 403 {
						t.Errorf("%s %s in opened group %s: %d %v", r.Method, r.Path, r.Group, s, env)
					}
					if s2, env2 := call(t, d.URL, r.Method, r.Path, "Bearer tc-apiv1_"+strings.Repeat("9", 64)); s2 != 401 {
						t.Errorf("%s %s accepted a wrong token: %d %v", r.Method, r.Path, s2, env2)
					}
				} else if s != 401 {
					t.Errorf("%s %s (group %q) without credentials: %d", r.Method, r.Path, r.Group, s)
				}
			}
			if s, _ := postHeartbeat(t, d, "", hbBody("anon", 1)); s != 200 {
				t.Fatalf("heartbeat without credentials: %d", s)
			}
		})
	}
}
