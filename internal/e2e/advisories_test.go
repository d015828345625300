package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

const advisoryDir = "../../testdata/advisories/"

func advisoryFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(advisoryDir + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fleet sends one heartbeat per agent id → reported version.
func fleet(t *testing.T, d *testutil.TCD, owner *client.Client, agents map[string]string) {
	t.Helper()
	tok := createToken(t, owner, tc.CreateTokenRequest{Description: fmt.Sprintf("fleet %d", time.Now().UnixNano()), Preset: tc.PresetTelegrafAgent}).Raw
	for id, version := range agents {
		body := fmt.Sprintf(`{"id":%q,"version":%q,"schema":1,"hostname":"host-%s","status":"OK"}`, id, version, id)
		if s, env := postHeartbeat(t, d, "Bearer "+tok, body); s != 200 {
			t.Fatalf("heartbeat of %s: %d %v", id, s, env)
		}
	}
}

// postRaw sends body to path with a credential and decodes the answer.
func postRaw(t *testing.T, d *testutil.TCD, token, path, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", d.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func agentIDs(items []tc.Agent) string {
	ids := make([]string, len(items))
	for i, a := range items {
		ids[i] = a.ID
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

func advisoryRows(t *testing.T, d *testutil.TCD) string {
	t.Helper()
	var rows []map[string]any
	if err := d.Store().Gorm(bg).Raw("SELECT * FROM advisories ORDER BY id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rows)
	return string(b)
}

var exposureFleet = map[string]string{
	"a-1361":   "Telegraf 1.36.1 (git: HEAD@0f1e2d3c)",
	"a-1372":   "Telegraf 1.37.2 (git: HEAD@a6b212be)",
	"a-1393":   "Telegraf 1.39.3 (git: HEAD@eb37a442)",
	"a-140dev": "1.40.0-b272631466",
}

// Acceptance 1: with agents on 1.36.1, 1.37.2, 1.39.3 and a dev build of
// 1.40, an advisory affecting >= 1.36.0, < 1.38.0 marks exactly the first
// two — in advisory list and get, agent list --exposed, agent get and the
// tcd_agents_exposed metric.
func TestAdvisoryExposure(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		fleet(t, d, owner, exposureFleet)
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		profile := t.TempDir() + "/p.yaml"

		r := tcctl(t, profile, "", env, "advisory", "import", advisoryDir+"TCTEST-2026-0001.json")
		if r.code != 0 || !strings.Contains(r.stdout, "1 added, 0 updated, 0 unchanged") || !strings.Contains(r.stdout, "apply to agents: TCTEST-2026-0001") {
			t.Fatalf("import: %d %q %q", r.code, r.stdout, r.stderr)
		}
		r = tcctl(t, profile, "", env, "advisory", "list", "-o", "json")
		var list []tc.Advisory
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil || len(list) != 1 {
			t.Fatalf("advisory list: %d %s %s", r.code, r.stdout, r.stderr)
		}
		a := list[0]
		if a.ID != "TCTEST-2026-0001" || a.Severity != tc.SeverityHigh || a.AgentsAffected != 2 || len(a.Fixed) != 1 || a.Fixed[0] != "1.38.0" ||
			len(a.Versions) != 2 || a.Versions[0].Version != exposureFleet["a-1361"] || a.Versions[1].Version != exposureFleet["a-1372"] || a.Versions[0].Fixed != "1.38.0" {
			t.Fatalf("advisory: %+v", a)
		}
		r = tcctl(t, profile, "", env, "agent", "list", "--exposed", "-o", "json")
		var exposed []tc.Agent
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &exposed) != nil || agentIDs(exposed) != "a-1361,a-1372" {
			t.Fatalf("agent list --exposed: %d %s %s", r.code, r.stdout, r.stderr)
		}
		for _, ag := range exposed {
			if len(ag.Advisories) != 1 || ag.Advisories[0].ID != "TCTEST-2026-0001" || ag.Advisories[0].Fixed != "1.38.0" || ag.Advisories[0].Severity != "high" {
				t.Fatalf("%s advisories %+v", ag.ID, ag.Advisories)
			}
		}
		notExposed := must[tc.List[tc.Agent]](t)(d.Client(t, owner.Token()).ListAgents(bg, client.AgentFilter{}))
		for _, ag := range notExposed.Items {
			if (ag.ID == "a-1393" || ag.ID == "a-140dev") && len(ag.Advisories) != 0 {
				t.Fatalf("%s has advisories %+v", ag.ID, ag.Advisories)
			}
		}
		var got tc.Agent
		r = tcctl(t, profile, "", env, "agent", "get", "a-1372", "-o", "json")
		if json.Unmarshal([]byte(r.stdout), &got) != nil || len(got.Advisories) != 1 {
			t.Fatalf("agent get -o json: %s", r.stdout)
		}
		r = tcctl(t, profile, "", env, "agent", "get", "a-1361")
		if !strings.Contains(r.stdout, "Advisories:\n  high     TCTEST-2026-0001 (fixed in 1.38.0): Fictional: inputs.example") {
			t.Fatalf("agent get:\n%s", r.stdout)
		}
		r = tcctl(t, profile, "", env, "agent", "get", "a-140dev")
		if !strings.Contains(r.stdout, "Advisories:\n  -") {
			t.Fatalf("agent get of the dev build:\n%s", r.stdout)
		}
		r = tcctl(t, profile, "", env, "advisory", "get", "TCTEST-2026-0001")
		for _, want := range []string{"Severity:       high (CVSS_V3 CVSS:3.1/", "Affected:       github.com/influxdata/telegraf >= 1.36.0, < 1.38.0", "Fixed in:       1.38.0",
			"Agents affected: 2", "a-1361", "a-1372", "Telegraf 1.37.2 (git: HEAD@a6b212be)  1       1.38.0"} {
			if !strings.Contains(r.stdout, want) {
				t.Fatalf("advisory get lacks %q:\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "a-1393") {
			t.Fatalf("advisory get lists an unaffected agent:\n%s", r.stdout)
		}
		// The filters combine on the server: severity is a minimum.
		for _, c := range []struct {
			f    client.AgentFilter
			want string
		}{
			{client.AgentFilter{Exposed: true, Severity: "high"}, "a-1361,a-1372"},
			{client.AgentFilter{Exposed: true, Severity: "critical"}, ""},
			{client.AgentFilter{Severity: "low"}, "a-1361,a-1372"},
			{client.AgentFilter{Advisory: "TCTEST-2026-0001", Search: "1361"}, "a-1361"},
		} {
			l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, c.f))
			if agentIDs(l.Items) != c.want || l.Total != len(l.Items) {
				t.Errorf("%+v: %s (total %d), want %s", c.f, agentIDs(l.Items), l.Total, c.want)
			}
		}
		var notFilter tc.List[tc.Agent]
		if err := owner.Do(bg, "GET", "/api/agents", map[string][]string{"exposed": {"false"}}, nil, &notFilter); err != nil || agentIDs(notFilter.Items) != "a-1393,a-140dev" {
			t.Fatalf("exposed=false: %v %s", err, agentIDs(notFilter.Items))
		}
		sum := must[tc.AgentSummary](t)(owner.AgentSummary(bg, client.AgentFilter{Exposed: true}))
		if sum.Total != 2 {
			t.Fatalf("summary of exposed agents: %+v", sum)
		}
		for _, q := range []map[string][]string{{"exposed": {"maybe"}}, {"severity": {"extreme"}}, {"advisory": {"NOPE-1"}}} {
			err := owner.Do(bg, "GET", "/api/agents", q, nil, nil)
			wantCode(t, err, tc.EInvalid, 400)
		}
		fams, _ := scrape(t, d, "")
		for sev, want := range map[string]float64{"critical": 0, "high": 2, "medium": 0, "low": 0, "unknown": 0} {
			if got := value(fams, "tcd_agents_exposed", map[string]string{"severity": sev}); got != want {
				t.Errorf("tcd_agents_exposed{severity=%q} = %v, want %v", sev, got, want)
			}
		}
		// An agent that upgrades leaves the exposure with its next heartbeat.
		fleet(t, d, owner, map[string]string{"a-1372": "Telegraf 1.38.0 (git: HEAD@11aa22bb)"})
		if l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Exposed: true})); agentIDs(l.Items) != "a-1361" {
			t.Fatalf("after the upgrade: %s", agentIDs(l.Items))
		}
	})
}

// Acceptance 1: the boundaries of introduced, fixed and last_affected are
// exact against a real tcd, and so are the version rules for agents:
// pre-releases are before their release, development builds are their
// base release, an unparseable version matches nothing.
func TestAdvisoryBoundaries(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		cases := []struct {
			agent, version string
			want           string // advisories that apply, by ID
		}{
			{"b-01", "Telegraf 1.35.9", ""},
			{"b-02", "Telegraf 1.36.0-rc.1", ""},
			{"b-03", "Telegraf 1.36.0", "TCTEST-2026-0001"},
			{"b-04", "1.36.0-b272631466", "TCTEST-2026-0001"},
			{"b-05", "Telegraf 1.37.99 (git: HEAD@00000000)", "TCTEST-2026-0001"},
			{"b-06", "Telegraf 1.38.0-rc1", "TCTEST-2026-0001"},
			{"b-07", "Telegraf 1.38.0", ""},
			{"b-08", "1.38.0-b272631466", ""},
			{"b-09", "v1.37.0", "TCTEST-2026-0001"},
			{"b-10", "Telegraf unknown", ""},
			{"b-11", "Telegraf 1.35.2", "TCTEST-2026-0002"},
			{"b-12", "1.35.2-b1234", "TCTEST-2026-0002"},
			{"b-13", "Telegraf 1.35.3-rc.1", ""},
			{"b-14", "Telegraf 1.35.3", ""},
			{"b-15", "Telegraf 0.1.0", "TCTEST-2026-0002"},
		}
		agents := map[string]string{}
		for _, c := range cases {
			agents[c.agent] = c.version
		}
		fleet(t, d, owner, agents)
		for _, f := range []string{"TCTEST-2026-0001.json", "mixed.json"} {
			if _, err := owner.ImportAdvisories(bg, rawEntries(t, advisoryFile(t, f))); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range cases {
			a := must[tc.Agent](t)(owner.GetAgent(bg, c.agent))
			var ids []string
			for _, x := range a.Advisories {
				ids = append(ids, x.ID)
			}
			if strings.Join(ids, ",") != c.want {
				t.Errorf("%s (%s): advisories %v, want %q", c.agent, c.version, ids, c.want)
			}
		}
		// The tcd advisory (github.com/opentc/tc) matches no Telegraf agent.
		if a := must[tc.Advisory](t)(owner.GetAdvisory(bg, "TCTEST-2026-0003")); a.AgentsAffected != 0 {
			t.Fatalf("tcd advisory affects %d agents", a.AgentsAffected)
		}
	})
}

// rawEntries turns an OSV file (object or array) into the entries the
// client sends.
func rawEntries(t *testing.T, data []byte) []json.RawMessage {
	t.Helper()
	var arr []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
		if err := json.Unmarshal(data, &arr); err != nil {
			t.Fatal(err)
		}
		return arr
	}
	return []json.RawMessage{data}
}

func zipFiles(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, _ := zw.Create(n)
		w.Write(files[n])
	}
	zw.Close()
	return buf.Bytes()
}

// Acceptance 2: importing the same file twice changes nothing; a malformed
// file is refused with the JSON path of the problem and nothing is stored —
// through tcctl and through the API, for a JSON file and a zip archive.
func TestAdvisoryImportIdempotentAndMalformed(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		profile := t.TempDir() + "/p.yaml"

		r := tcctl(t, profile, "", env, "advisory", "import", advisoryDir+"mixed.json", "-o", "json")
		var res tc.AdvisoryImportResult
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil || strings.Join(res.Added, ",") != "TCTEST-2026-0002,TCTEST-2026-0003" || res.Ignored != 1 {
			t.Fatalf("first import: %d %s %s", r.code, r.stdout, r.stderr)
		}
		before := advisoryRows(t, d)
		d.Clock.Advance(time.Hour) // a rewrite would show in updated_ms
		r = tcctl(t, profile, "", env, "advisory", "import", advisoryDir+"mixed.json")
		if r.code != 0 || strings.TrimSpace(r.stdout) != "0 added, 0 updated, 2 unchanged; 1 about other packages ignored" {
			t.Fatalf("second import: %d %q %q", r.code, r.stdout, r.stderr)
		}
		// The file as it is, straight to the API, and inside a zip archive.
		if s, out := postRaw(t, d, owner.Token(), "/api/advisories/import", "application/json", advisoryFile(t, "mixed.json")); s != 200 || out["unchanged"] != float64(2) || out["ignored"] != float64(1) || len(out["added"].([]any)) != 0 {
			t.Fatalf("raw import: %d %v", s, out)
		}
		z := zipFiles(t, map[string][]byte{"osv/mixed.json": advisoryFile(t, "mixed.json")})
		if s, out := postRaw(t, d, owner.Token(), "/api/advisories/import", "application/zip", z); s != 200 || out["unchanged"] != float64(2) {
			t.Fatalf("zip import: %d %v", s, out)
		}
		if after := advisoryRows(t, d); after != before {
			t.Fatalf("importing the same file again changed the table:\n%s\n%s", before, after)
		}

		// Malformed: refused with the path, nothing stored — not even the
		// valid entries before the bad one, nor a valid file given with it.
		r = tcctl(t, profile, "", env, "advisory", "import", advisoryDir+"TCTEST-2026-0001.json", advisoryDir+"malformed.json")
		wantErr := "malformed.json: $[3].affected[0].ranges[0].events[1].fixed: \"1.38\" is not a semantic version"
		if r.code != 1 || !strings.Contains(r.stderr, wantErr) || !strings.Contains(r.stderr, "nothing was imported") {
			t.Fatalf("tcctl malformed: %d %q", r.code, r.stderr)
		}
		s, out := postRaw(t, d, owner.Token(), "/api/advisories/import", "application/json", advisoryFile(t, "malformed.json"))
		if s != 400 || out["code"] != "invalid" || out["path"] != "$[3].affected[0].ranges[0].events[1].fixed" ||
			!strings.HasPrefix(out["message"].(string), "$[3].affected[0].ranges[0].events[1].fixed: ") {
			t.Fatalf("API malformed: %d %v", s, out)
		}
		z = zipFiles(t, map[string][]byte{"a.json": advisoryFile(t, "TCTEST-2026-0001.json"), "b.json": advisoryFile(t, "malformed.json")})
		s, out = postRaw(t, d, owner.Token(), "/api/advisories/import", "application/zip", z)
		if s != 400 || out["file"] != "b.json" || out["path"] != "$[3].affected[0].ranges[0].events[1].fixed" {
			t.Fatalf("zip with a malformed member: %d %v", s, out)
		}
		for _, bad := range []string{`[{"id":"X-1"},`, `{"id":"X-1","affected":[{"package":{"ecosystem":"Go","name":"github.com/influxdata/telegraf"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0","fixed":"2.0.0"}]}]}]}`, "PK\x03\x04 not a zip"} {
			if s, out := postRaw(t, d, owner.Token(), "/api/advisories/import", "application/json", []byte(bad)); s != 400 || out["code"] != "invalid" {
				t.Fatalf("%q: %d %v", bad, s, out)
			}
		}
		if after := advisoryRows(t, d); after != before {
			t.Fatalf("a refused import changed the table:\n%s\n%s", before, after)
		}

		// A newer version replaces the stored one (its acknowledgement stays);
		// an older one is kept out.
		must[tc.Advisory](t)(owner.AcknowledgeAdvisory(bg, "TCTEST-2026-0003", "tcd is not deployed from that branch"))
		newer := strings.Replace(string(advisoryFile(t, "mixed.json")), `"modified": "2026-02-11T08:00:00Z",
    "summary": "Fictional: a tcd advisory"`, `"modified": "2026-02-20T08:00:00Z",
    "summary": "Fictional: a tcd advisory (revised)"`, 1)
		res = must[tc.AdvisoryImportResult](t)(owner.ImportAdvisories(bg, rawEntries(t, []byte(newer))))
		if strings.Join(res.Updated, ",") != "TCTEST-2026-0003" || res.Unchanged != 1 {
			t.Fatalf("newer: %+v", res)
		}
		a := must[tc.Advisory](t)(owner.GetAdvisory(bg, "TCTEST-2026-0003"))
		if a.Summary != "Fictional: a tcd advisory (revised)" || a.Acknowledgement == nil || !a.UpdatedAt.After(a.CreatedAt) {
			t.Fatalf("updated advisory: %+v", a)
		}
		res = must[tc.AdvisoryImportResult](t)(owner.ImportAdvisories(bg, rawEntries(t, advisoryFile(t, "mixed.json"))))
		if res.Stale != 1 || len(res.Updated) != 0 {
			t.Fatalf("older: %+v", res)
		}
		// Only Telegraf and tcd are kept.
		if _, err := owner.GetAdvisory(bg, "TCTEST-2026-0004"); !tc.IsCode(err, tc.ENotFound) {
			t.Fatalf("the advisory about another module was stored: %v", err)
		}
	})
}

// Acceptance 3: agent list --exposed and advisory list agree; an
// acknowledged advisory leaves the default views (and the metric), stays
// in --all, and the acknowledgement is audited and needs advisories:write.
func TestAdvisoryAcknowledgement(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		fleet(t, d, owner, map[string]string{
			"a-1352": "Telegraf 1.35.2", "a-1361": "Telegraf 1.36.1", "a-1372": "Telegraf 1.37.2", "a-1372b": "Telegraf 1.37.2", "a-1393": "Telegraf 1.39.3",
		})
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		profile := t.TempDir() + "/p.yaml"
		if r := tcctl(t, profile, "", env, "advisory", "import", advisoryDir+"TCTEST-2026-0001.json", advisoryDir+"mixed.json"); r.code != 0 {
			t.Fatalf("import: %s", r.stderr)
		}
		views := func() (map[string]int, map[string][]string) {
			t.Helper()
			var advs []tc.Advisory
			r := tcctl(t, profile, "", env, "advisory", "list", "-o", "json")
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &advs) != nil {
				t.Fatalf("advisory list: %s %s", r.stdout, r.stderr)
			}
			var agents []tc.Agent
			r = tcctl(t, profile, "", env, "agent", "list", "--exposed", "-o", "json")
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &agents) != nil {
				t.Fatalf("agent list --exposed: %s %s", r.stdout, r.stderr)
			}
			byAdvisory := map[string]int{}
			for _, a := range advs {
				if a.AgentsAffected > 0 {
					byAdvisory[a.ID] = a.AgentsAffected
				}
			}
			byAgent := map[string][]string{}
			fromAgents := map[string]int{}
			for _, ag := range agents {
				if len(ag.Advisories) == 0 {
					t.Fatalf("%s listed as exposed without advisories", ag.ID)
				}
				for _, x := range ag.Advisories {
					byAgent[ag.ID] = append(byAgent[ag.ID], x.ID)
					fromAgents[x.ID]++
				}
			}
			if fmt.Sprint(fromAgents) != fmt.Sprint(byAdvisory) {
				t.Fatalf("agent list --exposed counts %v, advisory list %v", fromAgents, byAdvisory)
			}
			return byAdvisory, byAgent
		}
		byAdvisory, byAgent := views()
		if fmt.Sprint(byAdvisory) != "map[TCTEST-2026-0001:3 TCTEST-2026-0002:1]" || len(byAgent) != 4 {
			t.Fatalf("before: %v %v", byAdvisory, byAgent)
		}

		if r := tcctl(t, profile, "", env, "advisory", "ack", "TCTEST-2026-0001"); r.code != 2 || !strings.Contains(r.stderr, "--note is required") {
			t.Fatalf("ack without a note: %d %s", r.code, r.stderr)
		}
		viewer, _ := invite(t, d, owner, "vera", tc.RoleViewer)
		manager, _ := invite(t, d, owner, "mike", tc.RoleManager)
		for _, c := range []*client.Client{viewer, manager} {
			must[tc.List[tc.Advisory]](t)(c.ListAdvisories(bg, client.AdvisoryFilter{}))
			_, err := c.AcknowledgeAdvisory(bg, "TCTEST-2026-0001", "not mine to accept")
			wantCode(t, err, tc.EForbidden, 403)
		}
		r := tcctl(t, profile, "", env, "advisory", "ack", "TCTEST-2026-0001", "--note", "inputs.example is not used", "-o", "json")
		var acked tc.Advisory
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &acked) != nil || acked.Acknowledgement == nil || acked.Acknowledgement.By != "root" || acked.Acknowledgement.Note != "inputs.example is not used" {
			t.Fatalf("ack: %d %s %s", r.code, r.stdout, r.stderr)
		}
		byAdvisory, byAgent = views()
		if fmt.Sprint(byAdvisory) != "map[TCTEST-2026-0002:1]" || len(byAgent) != 1 || byAgent["a-1352"] == nil {
			t.Fatalf("after ack: %v %v", byAdvisory, byAgent)
		}
		if a := must[tc.Agent](t)(owner.GetAgent(bg, "a-1372")); len(a.Advisories) != 0 {
			t.Fatalf("agent get still shows %v", a.Advisories)
		}
		r = tcctl(t, profile, "", env, "advisory", "list", "--all")
		if !strings.Contains(r.stdout, "TCTEST-2026-0001") || !strings.Contains(r.stdout, "acknowledged") || !strings.Contains(r.stdout, "STATE") {
			t.Fatalf("list --all:\n%s", r.stdout)
		}
		var all []tc.Advisory
		r = tcctl(t, profile, "", env, "advisory", "list", "--all", "-o", "json")
		if json.Unmarshal([]byte(r.stdout), &all) != nil || len(all) != 3 || all[0].ID != "TCTEST-2026-0001" || all[0].AgentsAffected != 3 || all[0].Acknowledgement == nil {
			t.Fatalf("list --all -o json: %s", r.stdout)
		}
		// The advisory's own agents are still listed on request.
		if l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Advisory: "TCTEST-2026-0001"})); agentIDs(l.Items) != "a-1361,a-1372,a-1372b" {
			t.Fatalf("agent list --advisory of the acknowledged one: %s", agentIDs(l.Items))
		}
		fams, _ := scrape(t, d, "")
		if h, m := value(fams, "tcd_agents_exposed", map[string]string{"severity": "high"}), value(fams, "tcd_agents_exposed", map[string]string{"severity": "medium"}); h != 0 || m != 1 {
			t.Fatalf("metric after ack: high %v medium %v", h, m)
		}
		found := false
		for _, en := range auditAll(t, owner) {
			if en.Action == "PUT /api/advisories/:id/acknowledgement" && en.Target == "id=TCTEST-2026-0001" && en.Actor == "root" && en.Outcome == tc.OutcomeSuccess {
				found = true
			}
		}
		if !found {
			t.Fatal("the acknowledgement is not in the audit log")
		}
		if r = tcctl(t, profile, "", env, "advisory", "unack", "TCTEST-2026-0001"); r.code != 0 {
			t.Fatalf("unack: %s", r.stderr)
		}
		if byAdvisory, _ = views(); byAdvisory["TCTEST-2026-0001"] != 3 {
			t.Fatalf("after unack: %v", byAdvisory)
		}
		if r = tcctl(t, profile, "", env, "advisory", "ack", "NOPE-1", "--note", "x"); r.code != 3 {
			t.Fatalf("ack of an unknown advisory: exit %d %s", r.code, r.stderr)
		}
	})
}

// The hook for notifications ("new advisory matches the fleet") is called
// once for an import that makes an advisory apply to agents, and not for
// re-imports, advisories that match nobody, or acknowledged ones.
func TestAdvisoryFleetMatchHook(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	owner := d.Setup(t)
	fleet(t, d, owner, map[string]string{"a-1361": "Telegraf 1.36.1", "a-1393": "Telegraf 1.39.3"})
	var mu sync.Mutex
	var calls [][]string
	d.Advisories().SetFleetMatchHook(func(ctx context.Context, matched []tc.Advisory) {
		mu.Lock()
		defer mu.Unlock()
		var ids []string
		for _, a := range matched {
			ids = append(ids, fmt.Sprintf("%s:%d", a.ID, a.AgentsAffected))
		}
		calls = append(calls, ids)
	})
	got := func() string { mu.Lock(); defer mu.Unlock(); return fmt.Sprint(calls) }
	one := rawEntries(t, advisoryFile(t, "TCTEST-2026-0001.json"))
	must[tc.AdvisoryImportResult](t)(owner.ImportAdvisories(bg, one))
	must[tc.AdvisoryImportResult](t)(owner.ImportAdvisories(bg, one))
	must[tc.AdvisoryImportResult](t)(owner.ImportAdvisories(bg, rawEntries(t, advisoryFile(t, "mixed.json")))) // match nobody
	if got() != "[[TCTEST-2026-0001:1]]" {
		t.Fatalf("hook calls %s", got())
	}
	// An update that makes a non-matching advisory match is news; an
	// acknowledged one is not.
	must[tc.Advisory](t)(owner.AcknowledgeAdvisory(bg, "TCTEST-2026-0003", "tcd advisories are handled elsewhere"))
	widened := strings.Replace(string(advisoryFile(t, "mixed.json")), `{"last_affected": "1.35.2"}`, `{"last_affected": "1.36.1"}`, 1)
	widened = strings.Replace(widened, `"modified": "2026-02-10T08:00:00Z"`, `"modified": "2026-05-01T08:00:00Z"`, 1)
	res := must[tc.AdvisoryImportResult](t)(owner.ImportAdvisories(bg, rawEntries(t, []byte(widened))))
	if strings.Join(res.Matching, ",") != "TCTEST-2026-0002" || got() != "[[TCTEST-2026-0001:1] [TCTEST-2026-0002:1]]" {
		t.Fatalf("result %+v, hook calls %s", res, got())
	}
}

// The periodic fetch imports from a configured URL (here a local server, as
// an air-gapped site's mirror), asks again with the answer's validators,
// and a failing or malformed feed stores nothing and counts a failure. On
// PostgreSQL the node fetches once it is elected leader.
func TestAdvisoryFeed(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		var mu sync.Mutex
		body := zipFiles(t, map[string][]byte{"TCTEST-2026-0001.json": advisoryFile(t, "TCTEST-2026-0001.json")})
		etag := `"v1"`
		var conditional int
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if r.Header.Get("If-None-Match") == etag {
				conditional++
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", etag)
			w.Header().Set("Content-Type", "application/zip")
			w.Write(body)
		}))
		defer srv.Close()
		cfg := testutil.DefaultConfig(e.DSN)
		cfg.AdvisoryFeedURL = srv.URL + "/osv/all.zip"
		cfg.AdvisoryFeedInterval = 100 * time.Millisecond
		d := testutil.StartTCDWith(t, cfg, testutil.NewClock())
		owner := d.Setup(t)
		waitFor(t, "the feed's advisory", func() bool {
			_, err := owner.GetAdvisory(bg, "TCTEST-2026-0001")
			return err == nil
		})
		a := must[tc.Advisory](t)(owner.GetAdvisory(bg, "TCTEST-2026-0001"))
		if a.Source != "feed "+srv.URL+"/osv/all.zip" {
			t.Fatalf("source %q", a.Source)
		}
		waitFor(t, "a conditional request", func() bool { mu.Lock(); defer mu.Unlock(); return conditional > 0 })
		before := advisoryRows(t, d)
		fams, _ := scrape(t, d, "")
		if value(fams, "tcd_advisory_feed_last_success_timestamp_seconds", nil) == 0 {
			t.Fatal("no successful fetch in the metrics")
		}
		mu.Lock()
		body, etag = zipFiles(t, map[string][]byte{"a.json": advisoryFile(t, "mixed.json"), "b.json": advisoryFile(t, "malformed.json")}), `"v2"`
		mu.Unlock()
		waitFor(t, "a failed fetch", func() bool {
			fams, _ := scrape(t, d, "")
			return value(fams, "tcd_advisory_feed_failures_total", nil) > 0
		})
		if after := advisoryRows(t, d); after != before {
			t.Fatalf("a malformed feed changed the table:\n%s\n%s", before, after)
		}
		if !strings.Contains(d.Log.String(), "b.json: $[3].affected[0].ranges[0].events[1].fixed") {
			t.Fatalf("the log does not name the problem:\n%s", d.Log.String())
		}
	})
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
