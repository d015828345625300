package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

const fixtureDir = "../../testdata/telegraf"

// capture is one request of a run*.jsonl file.
type capture struct {
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Headers [][2]string `json:"headers"`
	T       float64     `json:"t"`
}

func readCaptures(t *testing.T, run string) []capture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, run+".jsonl"))
	if err != nil {
		t.Fatalf("fixture %s: %v", run, err)
	}
	var out []capture
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var c capture
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("%s: %v", run, err)
		}
		if (c.Method == "GET" || c.Method == "HEAD") && strings.Contains(c.Path, "/toml") {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no config requests", run)
	}
	return out
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// replay sends c byte for byte over a fresh connection: the request line
// and the headers in the order Telegraf sent them. Only the token in an
// Authorization header with the Token or Bearer scheme is replaced by
// token (the capture server's placeholders can never be valid here), except
// the deliberately bad one of run C.
func replay(t *testing.T, baseURL string, c capture, token string) (*http.Response, string) {
	t.Helper()
	host := strings.TrimPrefix(baseURL, "http://")
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	b.WriteString(c.Method + " " + c.Path + " HTTP/1.1\r\n")
	for _, h := range c.Headers {
		v := h[1]
		if h[0] == "Authorization" {
			scheme, cred, _ := strings.Cut(v, " ")
			if (scheme == "Token" || scheme == "Bearer") && cred != "tc-apiv1_bad" {
				v = scheme + " " + token
			}
		}
		b.WriteString(h[0] + ": " + v + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	req, _ := http.NewRequest(c.Method, baseURL+c.Path, nil)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.Method, c.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// Acceptance 1: every config GET and HEAD real Telegraf agents sent
// (run A–H) is answered 200 with the rendered TOML, every HEAD carries
// Last-Modified, and run C's bad token is refused. Runs A, B, C and F use
// credentials (Token and Bearer schemes); D, E, G and H send none or Basic
// (from URL userinfo) and need DISABLED_AUTH_ENDPOINTS=configs.
func TestConfigFixtureReplay(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		t.Run("authenticated", func(t *testing.T) {
			d := testutil.StartTCD(t, e.DSN)
			c := d.Setup(t)
			v1, v2 := fixture(t, "cfg_v1.toml"), fixture(t, "cfg_v2.toml")
			abc := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "run-a", TOML: v1}))
			must[tc.Alias](t)(c.PutAlias(bg, "abc", tc.AliasRequest{ConfigID: abc.ID}))
			must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{ID: "b", Name: "run-b", TOML: fixture(t, "cfg_b.toml")}))
			must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{ID: "f", Name: "run-f", TOML: fixture(t, "cfg_1372.toml")}))

			// Run A: the capture switched its config at t=12s; do the same
			// and expect the HEAD after it to show a new Last-Modified and
			// the reload GET to get version 2.
			var last string
			now := 0.0
			switched := false
			for _, r := range readCaptures(t, "runA") {
				d.Clock.Advance(time.Duration((r.T - now) * float64(time.Second)))
				now = r.T
				if !switched && now > 12 {
					must[tc.Config](t)(c.UpdateConfig(bg, abc.ID, tc.UpdateConfigRequest{TOML: &v2}))
					switched = true
				}
				resp, body := replay(t, d.URL, r, c.Token())
				if resp.StatusCode != 200 {
					t.Fatalf("run A %s %s at t=%.1f: %d %s", r.Method, r.Path, r.T, resp.StatusCode, body)
				}
				lm := resp.Header.Get("Last-Modified")
				if lm == "" {
					t.Fatalf("run A %s at t=%.1f: no Last-Modified", r.Method, r.T)
				}
				want := strings.ReplaceAll(v1, "&{agent_id}", "my-agent-123")
				if switched {
					want = v2
				}
				if r.Method == "GET" {
					if body != want {
						t.Fatalf("run A GET at t=%.1f served:\n%s\nwant:\n%s", r.T, body, want)
					}
					if ct := resp.Header.Get("Content-Type"); ct != "text/x-toml; charset=utf-8" {
						t.Fatalf("Content-Type %q", ct)
					}
				}
				if last != "" && r.Method == "HEAD" && (lm != last) != (switched && r.T < 16) {
					t.Fatalf("run A HEAD at t=%.1f: Last-Modified %q after %q (switched=%v)", r.T, lm, last, switched)
				}
				last = lm
			}

			for _, run := range []string{"runB", "runF"} {
				for _, r := range readCaptures(t, run) {
					resp, body := replay(t, d.URL, r, c.Token())
					if resp.StatusCode != 200 || resp.Header.Get("Last-Modified") == "" {
						t.Fatalf("%s %s %s: %d (Last-Modified %q) %s", run, r.Method, r.Path, resp.StatusCode, resp.Header.Get("Last-Modified"), body)
					}
					want := fixture(t, "cfg_b.toml")
					if run == "runF" {
						want = strings.ReplaceAll(fixture(t, "cfg_1372.toml"), "&{agent_id}", "old-agent")
					}
					if r.Method == "GET" && body != want {
						t.Fatalf("%s GET served:\n%s", run, body)
					}
				}
			}
			for _, r := range readCaptures(t, "runC") {
				resp, body := replay(t, d.URL, r, c.Token())
				if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"code":"unauthorized"`) {
					t.Fatalf("run C (bad token): %d %s", resp.StatusCode, body)
				}
			}
			// Without the group opened, a request without credentials is refused.
			r := readCaptures(t, "runH")[0]
			r.Path = "/api/configs/b/toml"
			if resp, _ := replay(t, d.URL, r, ""); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("no credentials on a locked configs group: %d", resp.StatusCode)
			}
		})

		t.Run("open configs group", func(t *testing.T) {
			d := testutil.StartTCD(t, freshDSN(t, e), func(c *config.Config) { c.DisableAuthEndpoints = []string{"configs"} })
			c := d.Setup(t)
			files := map[string]string{"d": "cfg_h.toml", "e": "cfg_h.toml", "g": "cfg_g_remote.toml", "h": "cfg_h.toml"}
			for id, f := range files {
				must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{ID: id, Name: "run-" + id, TOML: fixture(t, f)}))
			}
			for _, run := range []string{"runD", "runE", "runG", "runH"} {
				for _, r := range readCaptures(t, run) {
					resp, body := replay(t, d.URL, r, "")
					if resp.StatusCode != 200 || resp.Header.Get("Last-Modified") == "" {
						t.Fatalf("%s %s %s: %d (Last-Modified %q) %s", run, r.Method, r.Path, resp.StatusCode, resp.Header.Get("Last-Modified"), body)
					}
					id := strings.Split(r.Path, "/")[3]
					if r.Method == "GET" && body != fixture(t, files[id]) {
						t.Fatalf("%s GET served:\n%s", run, body)
					}
				}
			}
			// Writes stay closed to anonymous callers only if the group is
			// not opened; here an opened group also lets a token through.
			if _, err := d.Client(t, "").GetConfig(bg, "h"); err != nil {
				t.Fatalf("anonymous read on an opened group: %v", err)
			}
		})
	})
}

// freshDSN returns a new, empty database of e's engine.
func freshDSN(t *testing.T, e testutil.Engine) string {
	t.Helper()
	if e.Name == "sqlite" {
		return testutil.SQLiteDSN(t)
	}
	dsn, _ := testutil.PostgresDSN(t)
	return dsn
}
