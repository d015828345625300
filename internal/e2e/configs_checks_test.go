package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opentc/tc/internal/config"
	tcrender "github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

const corpusDir = "../../testdata/telegraf/toml-corpus"

// corpusEnv is the environment the corpus verdicts were measured in (its
// README): SITE_ID, MEM_FIELD and BUFFER_LIMIT unset.
var corpusEnv = map[string]string{
	"BATCH_SIZE": "1000",
	"INTERVAL":   "10s",
	"MEM_FIELDS": `["used_percent", "available"]`,
	"HOST_LABEL": `edge "north"`,
	"LOG_DIR":    `C:\Users\telegraf\logs`,
}

type corpusVerdict struct{ file, strict, nonstrict, line, loads string }

func corpusVerdicts(t *testing.T) []corpusVerdict {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "verdicts.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusVerdict
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan(); n++ {
		c := strings.Split(sc.Text(), "\t")
		if n == 0 || len(c) < 5 {
			continue
		}
		out = append(out, corpusVerdict{c[0], c[1], c[2], c[3], c[4]})
	}
	if len(out) < 40 {
		t.Fatalf("verdicts.tsv: %d rows", len(out))
	}
	return out
}

// rawJSONString quotes s for JSON but leaves bytes that are not UTF-8 as
// they are, as a client that does not check would send them.
func rawJSONString(s string) []byte {
	var b bytes.Buffer
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.Bytes()
}

// postRaw sends body to the API with the client's token and decodes the
// answer into out (if not nil).
func postBody(t *testing.T, d *testutil.TCD, token, method, path string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, d.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func withAgentEnv(env map[string]string) testutil.TCDOption {
	return func(c *config.Config) { c.ConfigAgentEnv = env }
}

// Issue 16 acceptance 1: every corpus file pushed to a real tcd gets
// Telegraf's verdict — the strict column by default, the nonstrict column
// for a config declared nonstrict — with the error on Telegraf's line.
// Files that are not UTF-8 text are refused at their first bad byte (a NUL
// included: PostgreSQL cannot store one). Where
// Telegraf parses but cannot load for a reason the text shows, tcd refuses
// (an empty template) or warns (an integer beyond int64, an unknown
// plugin), as docs/configs.md says.
func TestCorpusVerdictsThroughTCD(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, withAgentEnv(corpusEnv))
		c := d.Setup(t)
		for _, v := range corpusVerdicts(t) {
			b, err := os.ReadFile(filepath.Join(corpusDir, v.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, mode := range []struct{ handling, want string }{{"", v.strict}, {tc.EnvNonStrict, v.nonstrict}} {
				body := []byte(`{"name":` + strconv.Quote(mode.handling+"-"+v.file) + `,"envHandling":"` + mode.handling + `","toml":`)
				body = append(append(body, rawJSONString(string(b))...), '}')
				status, out := postBody(t, d, c.Token(), "POST", "/api/configs", body)
				what := fmt.Sprintf("%s (%q)", v.file, mode.handling)
				switch {
				case !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0:
					if status != 400 || out["line"] == nil || !strings.Contains(fmt.Sprint(out["message"]), "UTF") && !strings.Contains(fmt.Sprint(out["message"]), "NUL") {
						t.Errorf("%s: not UTF-8, got %d %v", what, status, out)
					}
				case v.file == "empty-file.toml":
					if status != 400 || !strings.Contains(fmt.Sprint(out["message"]), "required") {
						t.Errorf("%s: an empty template is refused: %d %v", what, status, out)
					}
				case mode.want == "accept":
					if status != 201 {
						t.Errorf("%s: Telegraf accepts, tcd says %d %v", what, status, out)
						continue
					}
					codes := fmt.Sprint(out["warnings"])
					if v.file == "int-overflow.toml" && !strings.Contains(codes, tcrender.WarnIntRange) ||
						v.file == "unknown-input.toml" && !strings.Contains(codes, tcrender.WarnUnknownPlugin) {
						t.Errorf("%s: loads no, warnings %v", what, out["warnings"])
					}
				default:
					if status != 400 || out["line"] == nil || out["column"] == nil {
						t.Errorf("%s: Telegraf refuses, tcd says %d %v", what, status, out)
						continue
					}
					if v.line != "-" && (mode.handling == "" || v.strict == "accept") && fmt.Sprint(out["line"]) != v.line {
						t.Errorf("%s: line %v, Telegraf says %s (%v)", what, out["line"], v.line, out["message"])
					}
				}
			}
		}
	})
}

// readCorpus returns a corpus file as text.
func readCorpus(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// served is what an agent gets from path: body and Last-Modified.
type served struct{ body, lm string }

func serve(t *testing.T, c *client.Client, path string) served {
	t.Helper()
	r, err := c.FetchTOML(bg, "GET", path, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return served{r.Body, r.LastModified}
}

// wantRefused fails unless err is a refusal with the code, whose message
// and affected list name every one of names.
func wantRefused(t *testing.T, err error, code string, status int, names ...string) *tc.Error {
	t.Helper()
	wantCode(t, err, code, status)
	te := err.(*tc.Error)
	aff := fmt.Sprint(te.Details["affected"])
	for _, n := range names {
		if !strings.Contains(aff, n) {
			t.Fatalf("refusal does not name %q: %s %s", n, te.Message, aff)
		}
	}
	return te
}

// Issue 16 acceptance 2 (findings 3–5): constants are escaped for where
// they stand or refused; a group never carries a second BOM or [agent]; an
// undefined constant is refused at write time. Every write that would
// leave a config or group unloadable — config update, constant set, group
// create and edit, member update, rollback — is refused naming the config
// or group, line and reason, and the served bytes and Last-Modified stay.
func TestWritesNeverBreakServing(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)

		// Finding 3: a Windows path constant inside a basic string is
		// escaped: Telegraf reads back exactly the path (no TAB from \t).
		must[tc.Constant](t)(c.SetConstant(bg, "telegraf_dir", `C:\Program Files\Telegraf`))
		must[tc.Constant](t)(c.SetConstant(bg, "tmp", `C:\temp`))
		logs := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "logs",
			TOML: "[agent]\n  logfile = \"::{telegraf_dir}\\\\telegraf.log\"\n  debug_dir = '::{tmp}'\n[[inputs.mem]]\n"}))
		logsPath := "/api/configs/" + logs.ID + "/toml"
		got := serve(t, c, logsPath)
		res, err := tcrender.Validate(got.body, tcrender.Check{})
		if err != nil {
			t.Fatalf("served config does not parse: %v\n%s", err, got.body)
		}
		agent := fmt.Sprint(res.Table.Fields["agent"])
		if !strings.Contains(got.body, `"C:\\Program Files\\Telegraf\\telegraf.log"`) || !strings.Contains(got.body, `'C:\temp'`) {
			t.Fatalf("constants not escaped for their strings:\n%s\n%s", got.body, agent)
		}
		// A constant that cannot stand in a literal string is refused,
		// naming the config, line and reason; nothing moves.
		_, err = c.SetConstant(bg, "tmp", `C:\it's`)
		te := wantRefused(t, err, tc.EConflict, 409, "logs", "'…' string")
		if !strings.Contains(te.Message, "line 3") {
			t.Fatalf("refusal without the line: %s", te.Message)
		}
		if after := serve(t, c, logsPath); after != got {
			t.Fatalf("a refused constant change moved the served config: %+v → %+v", got, after)
		}
		// A bare constant must be one TOML value.
		must[tc.Constant](t)(c.SetConstant(bg, "batch", "1000"))
		sized := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "sized", TOML: "[agent]\n  metric_batch_size = ::{batch}\n[[inputs.mem]]\n"}))
		sizedPath := "/api/configs/" + sized.ID + "/toml"
		before := serve(t, c, sizedPath)
		_, err = c.SetConstant(bg, "batch", "10 00")
		wantRefused(t, err, tc.EConflict, 409, "sized", "bare value")
		if after := serve(t, c, sizedPath); after != before || !strings.Contains(after.body, "metric_batch_size = 1000\n") {
			t.Fatalf("served after a refused change: %+v", after)
		}

		// Finding 5: an undefined constant is refused when written.
		_, err = c.CreateConfig(bg, tc.CreateConfigRequest{Name: "undef", TOML: "[[outputs.influxdb_v2]]\n  urls = [\"::{influx_url}\"]\n"})
		te = wantRefused(t, err, tc.EInvalid, 400, "undef", "influx_url")
		if te.Details["line"] != float64(2) {
			t.Fatalf("undefined constant: line %v", te.Details["line"])
		}

		// Finding 4: a member starting with a BOM is served without it in
		// the middle of the group; a second [agent] is refused naming both
		// members, at group create, group edit and member update.
		bom := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "bom", TOML: "\ufeff[[inputs.cpu]]\n"}))
		g := must[tc.ConfigGroup](t)(c.CreateGroup(bg, tc.GroupRequest{Name: "fleet", Members: []string{logs.ID, bom.ID}}))
		gPath := "/api/config-groups/" + g.ID + "/toml"
		gBefore := serve(t, c, gPath)
		if strings.Contains(gBefore.body, "\ufeff") {
			t.Fatalf("group carries a BOM:\n%q", gBefore.body)
		}
		if _, err := tcrender.Validate(gBefore.body, tcrender.Check{}); err != nil {
			t.Fatalf("group does not parse: %v", err)
		}
		agent2 := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "agent2", TOML: "[agent]\n  interval = \"20s\"\n[[inputs.disk]]\n"}))
		_, err = c.CreateGroup(bg, tc.GroupRequest{Name: "clash", Members: []string{logs.ID, agent2.ID}})
		wantRefused(t, err, tc.EConflict, 409, "clash", "logs", "agent2", "[agent]")
		if l := must[tc.List[tc.ConfigGroup]](t)(c.ListGroups(bg, client.ConfigFilter{Name: "clash"})); l.Total != 0 {
			t.Fatal("a refused group was stored")
		}
		members := []string{logs.ID, bom.ID, agent2.ID}
		_, err = c.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &members})
		wantRefused(t, err, tc.EConflict, 409, "fleet", "logs", "agent2")
		if after := serve(t, c, gPath); after != gBefore {
			t.Fatalf("a refused group edit moved the group: %+v", after)
		}
		// Member update: bom gains an [agent] table → the group would break.
		withAgent := "[agent]\n  interval = \"5s\"\n[[inputs.cpu]]\n"
		_, err = c.UpdateConfig(bg, bom.ID, tc.UpdateConfigRequest{TOML: &withAgent})
		wantRefused(t, err, tc.EConflict, 409, "fleet", "bom")
		if after := serve(t, c, gPath); after != gBefore {
			t.Fatalf("a refused member update moved the group: %+v", after)
		}
		if v := must[tc.Config](t)(c.GetConfig(bg, bom.ID)); v.Version != 1 {
			t.Fatalf("a refused member update made version %d", v.Version)
		}

		// Rollback to a version that no longer renders (its constant was
		// deleted since) is refused naming the config.
		must[tc.Constant](t)(c.SetConstant(bg, "gone", "eu"))
		rb := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "rb", TOML: "[global_tags]\n  region = \"::{gone}\"\n"}))
		v2 := "[global_tags]\n  region = \"us\"\n"
		must[tc.Config](t)(c.UpdateConfig(bg, rb.ID, tc.UpdateConfigRequest{TOML: &v2}))
		if err := c.DeleteConstant(bg, "gone"); err != nil {
			t.Fatal(err)
		}
		rbPath := "/api/configs/" + rb.ID + "/toml"
		rbBefore := serve(t, c, rbPath)
		_, err = c.RollbackConfig(bg, rb.ID, tc.RollbackRequest{Version: 1})
		wantRefused(t, err, tc.EConflict, 409, "rb", "gone")
		if after := serve(t, c, rbPath); after != rbBefore {
			t.Fatalf("a refused rollback moved the config: %+v", after)
		}

		// An alias moves only to something that loads (every config and
		// group does, being checked on write); the move itself is checked.
		must[tc.Alias](t)(c.PutAlias(bg, "fleet-all", tc.AliasRequest{GroupID: g.ID}))

		// Lint warnings come with a successful write and never block it.
		hb := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "hb",
			TOML: "[[inputs.nosuch]]\n[[outputs.heartbeat]]\n  url = \"http://elsewhere.example:9999/agents/heartbeat\"\n  instance_id = \"a\"\n  [outputs.heartbeat.logs]\n    limit = 5\n"}))
		codes := fmt.Sprint(hb.Warnings)
		for _, want := range []string{tcrender.WarnUnknownPlugin, tcrender.WarnCrash, tcrender.WarnHeartbeatURL} {
			if !strings.Contains(codes, want) {
				t.Errorf("warnings lack %s: %+v", want, hb.Warnings)
			}
		}
	})
}

// A setting turns lint warnings into errors.
func TestLintErrorsSetting(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t), func(c *config.Config) { c.ConfigLintErrors = true })
	c := d.Setup(t)
	_, err := c.CreateConfig(bg, tc.CreateConfigRequest{Name: "typo", TOML: "[[inputs.cpuu]]\n"})
	te := wantRefused(t, err, tc.EInvalid, 400, "typo", "inputs.cpuu")
	if te.Details["line"] != float64(1) {
		t.Fatalf("lint error without its line: %v", te.Details)
	}
	must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "fine", TOML: "[[inputs.cpu]]\n"}))
}

// Issue 15 acceptance 3 (findings 3 and 4): render amplification and deep
// nesting are refused when written, naming the configs; a constant change
// that would push a dependent config or group over the rendered-size limit
// is refused; a fetch whose parameters would exceed it is refused without
// building more than the limit.
func TestRenderLimits(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)
		big := strings.Repeat("a", tc.MaxConstantValueLen)
		must[tc.Constant](t)(c.SetConstant(bg, "big", big))
		must[tc.Constant](t)(c.SetConstant(bg, "small", "s"))
		refs := func(name string, n int) string {
			var b strings.Builder
			b.WriteString("[global_tags]\n")
			for i := 0; i < n; i++ {
				fmt.Fprintf(&b, "  t%d = \"::{%s}\"\n", i, name)
			}
			return b.String()
		}
		// 130 uses of a 64 KiB constant: 8.3 MB rendered from a 3 KB template.
		_, err := c.CreateConfig(bg, tc.CreateConfigRequest{Name: "amplified", TOML: refs("big", 130)})
		te := wantRefused(t, err, tc.EInvalid, 400, "amplified")
		if !strings.Contains(te.Message, "rendered-size limit") {
			t.Fatalf("amplification: %s", te.Message)
		}
		// The same template on a small constant is fine; growing the
		// constant would push it over, and is refused naming it.
		amp := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "amplifiable", TOML: refs("small", 130)}))
		path := "/api/configs/" + amp.ID + "/toml"
		before := serve(t, c, path)
		_, err = c.SetConstant(bg, "small", big)
		wantRefused(t, err, tc.EConflict, 409, "amplifiable", "rendered-size limit")
		if after := serve(t, c, path); after != before {
			t.Fatal("a refused constant change moved the config")
		}
		// Two members that each fit but not together (on a tcd with a 256 KiB
		// limit: Telegraf's parser takes seconds on megabytes under -race).
		small := testutil.StartTCD(t, testutil.SQLiteDSN(t), func(c *config.Config) { c.ConfigMaxRenderSize = 256 << 10 })
		sc := small.Setup(t)
		must[tc.Constant](t)(sc.SetConstant(bg, "big", strings.Repeat("b", 4<<10)))
		m1 := must[tc.Config](t)(sc.CreateConfig(bg, tc.CreateConfigRequest{Name: "half1", TOML: refs("big", 40)}))
		m2 := must[tc.Config](t)(sc.CreateConfig(bg, tc.CreateConfigRequest{Name: "half2", TOML: strings.Replace(refs("big", 40), "[global_tags]", "[[inputs.mem]]\n  [inputs.mem.tags]", 1)}))
		_, err = sc.CreateGroup(bg, tc.GroupRequest{Name: "too-big", Members: []string{m1.ID, m2.ID}})
		wantRefused(t, err, tc.EConflict, 409, "too-big", "rendered-size limit")

		// Finding 4: 87,000 nested inline tables (348 KB) are refused at
		// once; 1,000 levels (the limit) are fine.
		nest := func(n int) string {
			return "[global_tags]\n  x = " + strings.Repeat("{a = ", n) + "1" + strings.Repeat("}", n) + "\n"
		}
		_, err = c.CreateConfig(bg, tc.CreateConfigRequest{Name: "deep", TOML: nest(87000)})
		wantCode(t, err, tc.EInvalid, 400)
		if te := err.(*tc.Error); !strings.Contains(te.Message, "deeper than 1000") || te.Details["line"] != float64(2) {
			t.Fatalf("deep nesting: %s %v", te.Message, te.Details)
		}
		arrays := func(n int) string {
			return "[[inputs.mem]]\n  fieldinclude = " + strings.Repeat("[", n) + `"x"` + strings.Repeat("]", n) + "\n"
		}
		must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "deep-ok", TOML: arrays(1000)}))
		_, err = c.CreateConfig(bg, tc.CreateConfigRequest{Name: "deep-no", TOML: arrays(1001)})
		wantCode(t, err, tc.EInvalid, 400)

		// A fetch: 1,000 uses of a parameter, 15 KB values → 15 MB: refused.
		var b strings.Builder
		b.WriteString("[global_tags]\n")
		for i := 0; i < 1000; i++ {
			fmt.Fprintf(&b, "  p%d = \"&{p}\"\n", i)
		}
		pc := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "param-amp", TOML: b.String()}))
		_, err = c.RenderConfig(bg, pc.ID, map[string][]string{"p": {strings.Repeat("v", 15000)}})
		wantCode(t, err, tc.EInvalid, 400)
		if !strings.Contains(err.Error(), "rendered-size limit") {
			t.Fatalf("fetch over the limit: %v", err)
		}
		if r, err := c.RenderConfig(bg, pc.ID, map[string][]string{"p": {"short"}}); err != nil || !strings.Contains(r.Body, `p999 = "short"`) {
			t.Fatalf("fetch under the limit: %v", err)
		}
	})
}

// Issue 16 acceptance 5: Telegraf's full sample config (585 KB, every
// plugin) is accepted through tcctl and the API; a Windows-1252 file is
// refused with the line and column of its first bad byte by both.
func TestSampleConfigAndWindows1252(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		profile := filepath.Join(t.TempDir(), "p.yaml")
		sample := "../../testdata/telegraf/telegraf-sample-1.40.conf"
		if st, err := os.Stat(sample); err != nil || st.Size() < 500_000 {
			t.Fatalf("sample config: %v", err)
		}
		r := tcctl(t, profile, "", env, "config", "push", "--name", "full-sample", "-f", sample)
		if r.code != 0 || r.stdout != "created full-sample (version 1)\n" {
			t.Fatalf("push of the sample config: %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		cfg := must[tc.Config](t)(owner.FindConfig(bg, "full-sample"))
		if got := serve(t, owner, "/api/configs/"+cfg.ID+"/toml"); len(got.body) < 500_000 {
			t.Fatalf("served %d bytes", len(got.body))
		}

		cp := "../../testdata/telegraf/windows-1252.conf"
		r = tcctl(t, profile, "", env, "config", "push", "--name", "cp1252", "-f", cp)
		if r.code != 1 || !strings.Contains(r.stderr, cp+":2:12:") || !strings.Contains(r.stderr, "iconv -f WINDOWS-1252 -t UTF-8") {
			t.Fatalf("tcctl push of a Windows-1252 file: %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		raw, _ := os.ReadFile(cp)
		body := append(append([]byte(`{"name":"cp1252","toml":`), rawJSONString(string(raw))...), '}')
		status, out := postBody(t, d, owner.Token(), "POST", "/api/configs", body)
		if status != 400 || out["line"] != float64(2) || out["column"] != float64(12) || !strings.Contains(fmt.Sprint(out["message"]), "iconv") {
			t.Fatalf("API and a Windows-1252 body: %d %v", status, out)
		}
		if l := must[tc.List[tc.Config]](t)(owner.ListConfigs(bg, client.ConfigFilter{Name: "cp1252"})); l.Total != 0 {
			t.Fatal("a Windows-1252 config was stored")
		}
	})
}

// Issue 16 acceptance 4: tcctl config validate on the corpus prints one
// FILE:LINE:COL line per file Telegraf refuses (Telegraf's line) and exits
// 1; on the files it accepts, nothing, exit 0. No server is involved.
func TestTcctlValidateCorpus(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "telegraf.env")
	var lines []string
	for k, v := range corpusEnv {
		lines = append(lines, k+"='"+v+"'")
	}
	if err := os.WriteFile(envFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(dir, "p.yaml")
	var all, accepted []string
	rejected := map[string]string{}
	for _, v := range corpusVerdicts(t) {
		path := filepath.Join(corpusDir, v.file)
		all = append(all, "-f", path)
		b, _ := os.ReadFile(path)
		if v.strict == "reject" || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			rejected[path] = v.line
		} else {
			accepted = append(accepted, "-f", path)
		}
	}
	r := tcctl(t, profile, "", nil, append([]string{"config", "validate", "--env-file", envFile}, all...)...)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	out := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(out) != len(rejected) {
		t.Fatalf("%d lines for %d rejected files:\n%s", len(out), len(rejected), r.stdout)
	}
	for _, l := range out {
		parts := strings.SplitN(l, ":", 4)
		if len(parts) < 4 {
			t.Fatalf("not FILE:LINE:COL: %q", l)
		}
		want, ok := rejected[parts[0]]
		if !ok {
			t.Errorf("reported an accepted file: %s", l)
			continue
		}
		if _, err := strconv.Atoi(parts[2]); err != nil {
			t.Errorf("no column: %s", l)
		}
		if want != "-" && parts[1] != want {
			t.Errorf("line %s, Telegraf says %s: %s", parts[1], want, l)
		}
		delete(rejected, parts[0])
	}
	if len(rejected) > 0 {
		t.Errorf("not reported: %v", rejected)
	}
	r = tcctl(t, profile, "", nil, append([]string{"config", "validate", "--env-file", envFile}, accepted...)...)
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("accepted files: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// tcctl push prints lint warnings on stderr as FILE:LINE:COL and succeeds;
// a file only --non-strict-env-handling accepts is refused saying so, and
// is accepted once the config declares nonstrict.
func TestTcctlPushWarningsAndEnvHandling(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	owner := d.Setup(t)
	env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
	dir := t.TempDir()
	profile := filepath.Join(dir, "p.yaml")
	file := filepath.Join(dir, "typo.toml")
	if err := os.WriteFile(file, []byte("[[inputs.cpuu]]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := tcctl(t, profile, "", env, "config", "push", "--name", "typo", "-f", file)
	if r.code != 0 || !strings.Contains(r.stderr, file+":1:1: warning: ") || !strings.Contains(r.stderr, "inputs.cpuu") || r.stdout != "created typo (version 1)\n" {
		t.Fatalf("push with a warning: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	unquoted := filepath.Join(corpusDir, "env-unquoted-int.toml")
	r = tcctl(t, profile, "", env, "config", "push", "--name", "legacy", "-f", unquoted)
	if r.code != 1 || !strings.Contains(r.stderr, unquoted+":2:") || !strings.Contains(r.stderr, "--env-handling nonstrict") {
		t.Fatalf("strict push of an unquoted ${VAR}: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = tcctl(t, profile, "", env, "config", "push", "--name", "legacy", "-f", unquoted, "--env-handling", "nonstrict")
	if r.code != 0 {
		t.Fatalf("nonstrict push: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if cfg := must[tc.Config](t)(owner.FindConfig(bg, "legacy")); cfg.EnvHandling != tc.EnvNonStrict {
		t.Fatalf("envHandling %q", cfg.EnvHandling)
	}
}
