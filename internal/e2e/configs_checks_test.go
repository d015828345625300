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
func postRaw(t *testing.T, d *testutil.TCD, token, method, path string, body []byte) (int, map[string]any) {
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
				status, out := postRaw(t, d, c.Token(), "POST", "/api/configs", body)
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
