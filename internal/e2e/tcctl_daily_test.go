package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// daily is a tcd with a small fleet for the issue-18 tests: configs web
// and linux-base (linux-base used by web-01), a group fleet of both, labels
// edge and eu, a rule slow-links, agents web-01, edge-01, edge-02 (edge-01
// and edge-02 labelled edge, edge-02 also eu; edge-02 reports warn).
type daily struct {
	d     *testutil.TCD
	owner *client.Client
	env   map[string]string
	prof  string
	cfg   tc.Config
}

func newDaily(t *testing.T, dsn string) *daily {
	t.Helper()
	d := testutil.StartTCD(t, dsn)
	owner := d.Setup(t)
	s := &daily{d: d, owner: owner, env: map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}, prof: filepath.Join(t.TempDir(), "config.yaml")}
	toml := "[agent]\n  interval = \"10s\"\n\n[[outputs.file]]\n  files = [\"stdout\"]\n"
	s.cfg = must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "linux-base", TOML: toml}))
	web := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: "[[inputs.mem]]\n"}))
	must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "fleet", Members: []string{s.cfg.ID, web.ID}}))
	for _, l := range []string{"edge", "eu"} {
		must[tc.Label](t)(owner.CreateLabel(bg, tc.LabelRequest{Name: l}))
	}
	thirty := int64(30 * 24 * 3600)
	fifteen := int64(15 * 60)
	must[tc.ReportingRule](t)(owner.CreateRule(bg, tc.ReportingRuleRequest{Name: ptr("slow-links"), NotReportingAfter: &fifteen, AutoDeleteAfter: &thirty}))
	agentTok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
	for _, a := range []struct{ id, status, cfg string }{{"web-01", "OK", s.cfg.ID}, {"edge-01", "OK", ""}, {"edge-02", "WARN", ""}} {
		confs := "[]"
		if a.cfg != "" {
			confs = fmt.Sprintf(`["http://tcd:8888/api/configs/%s/toml"]`, a.cfg)
		}
		body := fmt.Sprintf(`{"id":%q,"version":"Telegraf 1.39.3","schema":1,"hostname":"host-%s","status":%q,"configurations":%s}`, a.id, a.id, a.status, confs)
		if st, resp := postHeartbeat(t, d, "Bearer "+agentTok, body); st != 200 {
			t.Fatalf("heartbeat %s: %d %v", a.id, st, resp)
		}
	}
	must[tc.BulkResult](t)(owner.SetAgentLabels(bg, true, []string{"edge-01", "edge-02"}, []string{"edge"}))
	must[tc.BulkResult](t)(owner.SetAgentLabels(bg, true, []string{"edge-02"}, []string{"eu"}))
	return s
}

func (s *daily) run(t *testing.T, args ...string) run {
	t.Helper()
	return tcctl(t, s.prof, "", s.env, args...)
}

func (s *daily) ids(t *testing.T, args ...string) []string {
	t.Helper()
	r := s.run(t, append(args, "-o", "json")...)
	var agents []tc.Agent
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &agents) != nil {
		t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	out := make([]string, len(agents))
	for i, a := range agents {
		out[i] = a.ID
	}
	return out
}

func expect(t *testing.T, r run, code int, stderrHas ...string) {
	t.Helper()
	ok := r.code == code
	for _, s := range stderrHas {
		ok = ok && strings.Contains(r.stderr, s)
	}
	if !ok {
		t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stderr to contain %q", r.code, code, r.stdout, r.stderr, stderrHas)
	}
}

// Issue 18 finding 3: the agent filter no longer shadows the global
// --config (the configuration file), and it takes a config's name.
func TestTcctlFlagClashAndConfigByName(t *testing.T) {
	s := newDaily(t, testutil.SQLiteDSN(t))
	// --config names the file of contexts, also on agent list.
	alt := filepath.Join(t.TempDir(), "alice.yaml")
	none := map[string]string{"TCCTL_TOKEN": s.owner.Token()}
	os.WriteFile(alt, []byte("currentContext: a\ncontexts:\n  - name: a\n    url: "+s.d.URL+"\n"), 0o600)
	if r := tcctl(t, filepath.Join(t.TempDir(), "unused.yaml"), "", none, "--config", alt, "agent", "list", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, "web-01") {
		t.Errorf("--config FILE agent list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The filter is --configuration and takes a name (or a group).
	if got := s.ids(t, "agent", "list", "--configuration", "linux-base"); fmt.Sprint(got) != "[web-01]" {
		t.Errorf("--configuration linux-base: %v", got)
	}
	if got := s.ids(t, "agent", "list", "--configuration", s.cfg.ID); fmt.Sprint(got) != "[web-01]" {
		t.Errorf("--configuration ID: %v", got)
	}
}

// Issue 18 finding 4: selectors — labels repeatable and comma-separated
// (all must match), several statuses (any matches) — and lists that say
// when they show less than all.
func TestTcctlSelectorsAndPaging(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) { testSelectorsAndPaging(t, e.DSN) })
}

func testSelectorsAndPaging(t *testing.T, dsn string) {
	s := newDaily(t, dsn)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-l", "edge"}, "[edge-01 edge-02]"},
		{[]string{"--label", "edge", "--label", "eu"}, "[edge-02]"},
		{[]string{"-l", "edge,eu"}, "[edge-02]"},
		{[]string{"--status", "ok,warn"}, "[edge-01 edge-02 web-01]"},
		{[]string{"--status", "warn", "--status", "fail"}, "[edge-02]"},
		{[]string{"--status", "ok", "-l", "edge"}, "[edge-01]"},
		{[]string{"--rule", "slow-links"}, "[]"},
	} {
		if got := s.ids(t, append([]string{"agent", "list"}, c.args...)...); fmt.Sprint(got) != c.want {
			t.Errorf("agent list %v = %v, want %v", c.args, got, c.want)
		}
	}
	// A filter naming what does not exist: an empty list and a note.
	for _, args := range [][]string{{"-l", "nosuch"}, {"--rule", "nosuch"}, {"--configuration", "nosuch"}} {
		r := s.run(t, append([]string{"agent", "list", "-o", "json"}, args...)...)
		if r.code != 0 || strings.TrimSpace(r.stdout) != "[]" || !strings.Contains(r.stderr, "nosuch") || !strings.Contains(r.stderr, "no agents match") {
			t.Errorf("agent list %v: exit %d stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := s.run(t, "config", "list", "-l", "nosuch", "-o", "json"); r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("config list -l nosuch: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// Paging: a table of the first page says so; --all and -o json get all.
	r := s.run(t, "agent", "list", "--limit", "2")
	expect(t, r, 0, "showing 1–2 of 3 agents")
	r = s.run(t, "agent", "list", "--all")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 4 || r.stderr != "" {
		t.Errorf("agent list --all: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Issue 18 acceptance 4: `tcctl -o json agent list` returns every agent of
// a seeded tcd, and `label assign --agents` with 2,500 IDs succeeds in
// requests of at most 1,000. 3,000 agents with TC_SCALE_AGENTS=3000 (the
// default, 1,200, also needs two pages and three chunks).
func TestTcctlWholeFleet(t *testing.T) {
	n, ids := 1200, 2500
	if os.Getenv("TC_SCALE_AGENTS") != "" {
		fmt.Sscan(os.Getenv("TC_SCALE_AGENTS"), &n)
	}
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	owner := d.Setup(t)
	tok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
	must[tc.Label](t)(owner.CreateLabel(bg, tc.LabelRequest{Name: "edge"}))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if st, resp := postHeartbeat(t, d, "Bearer "+tok, hbBody(fmt.Sprintf("agent-%05d", i), 1)); st != 200 {
					t.Errorf("heartbeat %d: %d %v", i, st, resp)
				}
			}
		}()
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("seeded %d agents in %v", n, time.Since(start))
	prof := filepath.Join(t.TempDir(), "p.yaml")
	env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}

	r := tcctl(t, prof, "", env, "-o", "json", "agent", "list")
	var agents []tc.Agent
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &agents) != nil || len(agents) != n {
		t.Fatalf("agent list -o json: exit %d, %d agents of %d\n%s", r.code, len(agents), n, r.stderr)
	}
	if r := tcctl(t, prof, "", env, "agent", "list"); !strings.Contains(r.stderr, fmt.Sprintf("showing 100 of %s agents; use --all", thousands(n))) {
		t.Errorf("table of the first page: %q", r.stderr)
	}
	// 2,500 IDs (the fleet's, and the rest that do not exist), in chunks.
	var list []string
	for i := 0; i < ids; i++ {
		list = append(list, fmt.Sprintf("agent-%05d", i))
	}
	start = time.Now()
	r = tcctl(t, prof, "", env, "label", "assign", "edge", "--agents", strings.Join(list, ","), "-o", "json")
	t.Logf("label assign of %d IDs in %v", ids, time.Since(start))
	var res struct {
		Agents tc.BulkResult `json:"agents"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("label assign: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	wantChanged, wantMissing := min(n, ids), ids-min(n, ids)
	if res.Agents.Changed != wantChanged || len(res.Agents.NotFound) != wantMissing {
		t.Errorf("label assign: changed %d (want %d), not found %d (want %d)", res.Agents.Changed, wantChanged, len(res.Agents.NotFound), wantMissing)
	}
	if wantMissing > 0 && r.code != 3 || wantMissing == 0 && r.code != 0 {
		t.Errorf("label assign exit %d with %d not found", r.code, wantMissing)
	}
	l := must[tc.List[tc.Agent]](t)(owner.ListAgents(bg, client.AgentFilter{Label: "edge", Page: tc.Page{Limit: 1}}))
	if l.Total != wantChanged {
		t.Errorf("%d agents labelled edge, want %d", l.Total, wantChanged)
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Issue 18 finding 5: typos fail. Every bulk or multi-ID verb does what it
// can, names what it did not find and exits 3; usage errors exit 2 whether
// tcctl or tcd catches them; a 404 from a server that is not tcd is a
// connection error (1).
func TestTcctlTyposFail(t *testing.T) {
	s := newDaily(t, testutil.SQLiteDSN(t))
	expect(t, s.run(t, "label", "assign", "edge", "--agents", "nosuch-agent,web-01"), 3, "edge assigned to 0 configs, 0 groups and 1 agents", "no such agent: nosuch-agent")
	r := s.run(t, "agent", "set-rule", "slow-links", "nosuch-agent", "web-01", "-o", "json")
	expect(t, r, 3, "no such agent: nosuch-agent")
	if !strings.Contains(r.stdout, `"changed": 1`) {
		t.Errorf("set-rule result: %s", r.stdout)
	}
	if a := must[tc.Agent](t)(s.owner.GetAgent(bg, "web-01")); a.ReportingRuleID == "" {
		t.Error("set-rule did not change web-01")
	}
	expect(t, s.run(t, "agent", "set-rule", "nosuch-rule", "web-01"), 3, `reporting rule "nosuch-rule" not found`)
	// What was done is said beside the error, in a script too.
	expect(t, s.run(t, "agent", "delete", "edge-01", "nosuch", "--yes"), 3, "Deleted 1 agent\n", "no such agent: nosuch")
	if _, err := s.owner.GetAgent(bg, "edge-01"); tc.ErrorCode(err) != tc.ENotFound {
		t.Errorf("edge-01 not deleted: %v", err)
	}
	expect(t, s.run(t, "label", "assign", "nosuch-label", "--agents", "web-01"), 3, "no such label: nosuch-label", "tcctl label create --name nosuch-label")
	expect(t, s.run(t, "label", "assign", "edge", "--configs", "web,nosuch-config", "--groups", "nosuch-group"), 3, "no such config: nosuch-config", "no such config group: nosuch-group")
	if c := must[tc.Config](t)(s.owner.FindConfig(bg, "web")); len(c.Labels) != 1 {
		t.Errorf("web was not labelled: %+v", c.Labels)
	}
	expect(t, s.run(t, "config", "delete", "nosuch", "--yes"), 3, "no such config: nosuch")
	expect(t, s.run(t, "config", "push", "--name", "x", "-f", "/dev/null", "--label", "production"), 3, "no such label: production", "nothing was pushed")

	// Usage errors: caught by tcctl …
	expect(t, s.run(t, "agent", "list", "--status", "bogus"), 2, `--status "bogus"`)
	expect(t, s.run(t, "agent", "list", "--sort", "bogus"), 2, `--sort "bogus"`)
	// … or by tcd, naming the field.
	expect(t, s.run(t, "token", "create", "--description", "x", "--preset", "bogus"), 2, "preset")
	expect(t, s.run(t, "api", "GET", "/api/agents", "-q", "sort=bogus"), 2, "unknown sort")
	expect(t, s.run(t, "api", "GET", "/api/agents", "-q", "status=bogus"), 2, "unknown status")

	// A server that is not tcd answering 404: exit 1 saying so.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<html><body>404 Not Found</body></html>"))
	}))
	defer other.Close()
	r = tcctl(t, s.prof, "", map[string]string{"TCCTL_URL": other.URL, "TCCTL_TOKEN": "tc-apiv1_x"}, "config", "get", "web")
	expect(t, r, 1, "without tcd's error format", "is "+other.URL+" the tcd API")
}

// Issue 18 finding 6: `config diff` after a two-line change shows those
// two lines, as diff -u does.
func TestTcctlDiffIsMinimal(t *testing.T) {
	s := newDaily(t, testutil.SQLiteDSN(t))
	var b strings.Builder
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "[[inputs.exec]]\n  commands = [\"/usr/bin/check-%d\"]\n\n", i)
	}
	v1 := b.String()
	v2 := strings.Replace(strings.Replace(v1, `  commands = ["/usr/bin/check-2"]`, `  timeout = "5s" # slow on the NFS hosts, see OPS-4711 before lowering it`, 1),
		`  commands = ["/usr/bin/check-17"]`, `  data_format = "influx" # the check prints line protocol since v2`, 1)
	dir := t.TempDir()
	for i, v := range []string{v1, v2} {
		f := filepath.Join(dir, "svc.toml")
		os.WriteFile(f, []byte(v), 0o600)
		if r := s.run(t, "config", "push", "--name", "svc", "-f", f, "--note", fmt.Sprint(i)); r.code != 0 {
			t.Fatalf("push: %s", r.stderr)
		}
	}
	r := s.run(t, "config", "diff", "svc")
	var plus, minus int
	for _, l := range strings.Split(r.stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			plus++
		case strings.HasPrefix(l, "-"):
			minus++
		}
	}
	if r.code != 0 || plus != 2 || minus != 2 || strings.Count(r.stdout, "\n@@ ") != 2 {
		t.Errorf("diff: +%d -%d\n%s", plus, minus, r.stdout)
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Issue 18 finding 7: colour only on a terminal without NO_COLOR and with
// TERM not dumb, columns aligned on visible text; durations as 30d; names
// instead of IDs.
func TestTcctlTerminalOutput(t *testing.T) {
	s := newDaily(t, testutil.SQLiteDSN(t))
	colour := map[string]string{"TCCTL_URL": s.d.URL, "TCCTL_TOKEN": s.owner.Token(), "TERM": "xterm-256color"}
	r := tcctlTerm(t, s.prof, colour, "agent", "list")
	if !strings.Contains(r.stdout, "\x1b[33mwarn\x1b[0m") {
		t.Fatalf("no colour on a terminal:\n%q", r.stdout)
	}
	// Every column starts at the same place in the header and in each row,
	// measured on what the terminal shows.
	lines := strings.Split(strings.TrimRight(sgr.ReplaceAllString(r.stdout, ""), "\n"), "\n")
	header := lines[0]
	for _, col := range []string{"STATUS", "LAST SEEN", "VERSION", "LABELS"} {
		at := strings.Index(header, col)
		for _, row := range lines[1:] {
			if at > len(row) || row[at-2:at] != "  " || row[at] == ' ' {
				t.Errorf("column %s (at %d) is not aligned in %q\n%s", col, at, row, strings.Join(lines, "\n"))
			}
		}
	}
	for _, env := range []map[string]string{
		{"TCCTL_URL": s.d.URL, "TCCTL_TOKEN": s.owner.Token(), "TERM": "xterm", "NO_COLOR": "1"},
		{"TCCTL_URL": s.d.URL, "TCCTL_TOKEN": s.owner.Token(), "TERM": "dumb"},
	} {
		for _, args := range [][]string{{"agent", "list"}, {"agent", "get", "edge-02"}, {"agent", "summary"}} {
			if r := tcctlTerm(t, s.prof, env, args...); r.code != 0 || strings.Contains(r.stdout, "\x1b") {
				t.Errorf("%v with %v: colour printed\n%q", args, env, r.stdout)
			}
		}
	}
	if r := s.run(t, "agent", "list"); strings.Contains(r.stdout, "\x1b") {
		t.Errorf("colour in a pipe:\n%q", r.stdout)
	}
	r = s.run(t, "rule", "list")
	if !strings.Contains(r.stdout, "15m") || !strings.Contains(r.stdout, "30d") || strings.Contains(r.stdout, "720h") {
		t.Errorf("rule list durations:\n%s", r.stdout)
	}
	s.run(t, "agent", "set-rule", "slow-links", "web-01")
	if r := s.run(t, "agent", "get", "web-01"); !regexp.MustCompile(`Reporting rule:\s+slow-links\n`).MatchString(r.stdout) {
		t.Errorf("agent get shows no rule name:\n%s", r.stdout)
	}
	if r := s.run(t, "group", "get", "fleet"); !regexp.MustCompile(`Members:\s+linux-base, web\n`).MatchString(r.stdout) {
		t.Errorf("group get shows no member names:\n%s", r.stdout)
	}
}

// Issue 18 finding 8: days in every duration flag, --sort and --desc
// everywhere, tcctl --version, tokens by description and invites by
// username, and https against the plain port failing fast with a hint.
func TestTcctlConsistency(t *testing.T) {
	s := newDaily(t, testutil.SQLiteDSN(t))
	for _, args := range [][]string{
		{"audit", "list", "--since", "7d"},
		{"agent", "heartbeats", "web-01", "--since", "1d"},
		{"token", "create", "--description", "ci", "--preset", "ci", "--expires-in", "1d12h"},
		{"user", "invite", "--username", "bob", "--email", "bob@example.com", "--role", "viewer", "--expires-in", "3d"},
		{"rule", "create", "--name", "weekly", "--not-reporting-after", "1w", "--auto-delete-after", "30d"},
		{"--version"},
	} {
		if r := s.run(t, args...); r.code != 0 {
			t.Errorf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
	// --sort FIELD and --desc everywhere, on tcd's keys or on any field.
	if got := s.ids(t, "agent", "list", "--sort", "hostname", "--desc"); fmt.Sprint(got) != "[web-01 edge-02 edge-01]" {
		t.Errorf("agent list --sort hostname --desc: %v", got)
	}
	if r := s.run(t, "agent", "list", "--order", "desc", "-o", "json"); r.code != 0 || strings.Index(r.stdout, "web-01") > strings.Index(r.stdout, "edge-01") {
		t.Errorf("--order desc (deprecated) no longer works: %d %s", r.code, r.stderr)
	}
	for _, c := range []struct {
		args  []string
		first string
	}{
		{[]string{"config", "list", "--sort", "name", "--desc"}, `"name": "web"`},
		{[]string{"label", "list", "--sort", "name", "--desc"}, `"name": "eu"`},
		{[]string{"rule", "list", "--sort", "notReportingAfter", "--desc"}, `"name": "weekly"`},
		{[]string{"user", "list", "--sort", "username"}, `"username": "root"`},
		{[]string{"token", "list", "--sort", "description"}, `"description": "agents"`},
	} {
		r := s.run(t, append(c.args, "-o", "json")...)
		if i := strings.Index(r.stdout, `"name"`); c.first[:6] == `"name"` && (i < 0 || !strings.HasPrefix(r.stdout[i:], c.first)) {
			t.Errorf("%v: first is not %s\n%s%s", c.args, c.first, r.stdout, r.stderr)
		}
		if r.code != 0 || !strings.Contains(r.stdout, c.first) {
			t.Errorf("%v: %d %s", c.args, r.code, r.stderr)
		}
	}
	// Tokens by description, invites by username.
	if r := s.run(t, "token", "get", "ci", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"description": "ci"`) {
		t.Errorf("token get by description: %d %s", r.code, r.stderr)
	}
	expect(t, s.run(t, "token", "revoke", "ci", "--yes"), 0)
	expect(t, s.run(t, "user", "delete-invite", "bob", "--yes"), 0)
	if l := must[tc.List[tc.Invite]](t)(s.owner.ListInvites(bg, tc.Page{})); len(l.Items) != 0 {
		t.Errorf("invite of bob still there: %+v", l.Items)
	}
	// https against tcd's plain port: a hint within seconds, not a 10 s
	// handshake timeout.
	start := time.Now()
	https := "https://" + strings.TrimPrefix(s.d.URL, "http://")
	r := tcctl(t, s.prof, "", map[string]string{"TCCTL_URL": https, "TCCTL_TOKEN": s.owner.Token()}, "whoami")
	if took := time.Since(start); r.code != 1 || !strings.Contains(r.stderr, "answers plain HTTP, not TLS: use http://") || took > 5*time.Second {
		t.Errorf("https to the plain port: exit %d after %v\n%s", r.code, took, r.stderr)
	}
}

// Issue 18 finding 9: dynamic completion of every resource argument and
// flag value; --role never offers owner.
func TestTcctlCompletion(t *testing.T) {
	s := newDaily(t, testutil.SQLiteDSN(t))
	createToken(t, s.owner, tc.CreateTokenRequest{Description: "CI deploy", Preset: tc.PresetCI})
	for _, c := range []struct {
		args []string
		want []string
		not  []string
	}{
		{[]string{"config", "get", ""}, []string{"linux-base", "web"}, nil},
		{[]string{"config", "use", "li"}, []string{"linux-base"}, []string{"web"}},
		{[]string{"group", "render", ""}, []string{"fleet"}, nil},
		{[]string{"agent", "get", ""}, []string{"web-01", "edge-02"}, nil},
		{[]string{"agent", "delete", "edge-01", ""}, []string{"edge-02"}, nil},
		{[]string{"agent", "set-rule", ""}, []string{"slow-links", "default"}, []string{"web-01"}},
		{[]string{"agent", "set-rule", "slow-links", ""}, []string{"web-01"}, []string{"slow-links"}},
		{[]string{"agent", "list", "--label", ""}, []string{"edge", "eu"}, nil},
		{[]string{"agent", "list", "--configuration", ""}, []string{"linux-base", "fleet"}, nil},
		{[]string{"agent", "list", "--rule", ""}, []string{"slow-links"}, nil},
		{[]string{"agent", "list", "--status", ""}, []string{"not_reporting"}, nil},
		{[]string{"label", "assign", ""}, []string{"edge", "eu"}, nil},
		{[]string{"label", "assign", "edge", "--agents", ""}, []string{"web-01"}, nil},
		{[]string{"token", "revoke", ""}, []string{"CI deploy", "agents"}, nil},
		{[]string{"token", "list", "--user", ""}, []string{"root"}, nil},
		{[]string{"rule", "edit", ""}, []string{"slow-links"}, nil},
		{[]string{"user", "get", ""}, []string{"root"}, nil},
		{[]string{"user", "invite", "--role", ""}, []string{"administrator", "viewer"}, []string{"owner"}},
		{[]string{"user", "set-role", "root", ""}, []string{"manager"}, []string{"owner"}},
		{[]string{"audit", "list", "--outcome", ""}, []string{"denied"}, nil},
		{[]string{"alias", "add", "x", ""}, []string{"web", "fleet"}, nil},
	} {
		r := s.run(t, append([]string{"__complete"}, c.args...)...)
		got := map[string]bool{}
		for _, l := range strings.Split(r.stdout, "\n") {
			name, _, _ := strings.Cut(l, "\t")
			got[name] = true
		}
		for _, w := range c.want {
			if !got[w] {
				t.Errorf("complete %q: no %q in\n%s", c.args, w, r.stdout)
			}
		}
		for _, w := range c.not {
			if got[w] {
				t.Errorf("complete %q offers %q:\n%s", c.args, w, r.stdout)
			}
		}
	}
	if r := s.run(t, "completion", "--help"); !strings.Contains(r.stdout, "bash-completion") {
		t.Errorf("completion help does not mention bash-completion:\n%s", r.stdout)
	}
}
