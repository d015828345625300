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
