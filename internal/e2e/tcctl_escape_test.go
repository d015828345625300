package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/cli"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// tcctlTerm runs tcctl as tcctl() does, with stdout, stderr and stdin on a
// terminal; env also sets NO_COLOR and TERM.
func tcctlTerm(t *testing.T, profile string, env map[string]string, args ...string) run {
	t.Helper()
	t.Setenv("TCCTL_CONFIG", profile)
	for _, k := range []string{"TCCTL_URL", "TCCTL_TOKEN", "TCCTL_CONTEXT", "NO_COLOR", "TERM"} {
		t.Setenv(k, env[k])
	}
	ios, _, out, errOut := iostreams.Test()
	ios.SetTerminal(true)
	code := cli.Run(bg, args, ios)
	return run{code, out.String(), errOut.String()}
}

// rawControl returns the control characters (other than line feeds) in s,
// quoted, or "" when there are none.
func rawControl(s string) string {
	var bad []string
	for _, r := range s {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) {
			bad = append(bad, fmt.Sprintf("%q", r))
		}
	}
	return strings.Join(bad, " ")
}

// Issue 15 finding 7 / acceptance 6: text an attacker stores in tcd — the
// username of a failed login (no credential needed), agent log lines with
// ANSI colour and OSC title sequences sent by a heartbeat, an agent's
// hostname and version, a token description with "clear screen" — reaches
// the terminal only escaped, in every table and text view, on a terminal
// and in a pipe; -o json carries it exactly.
func TestTcctlEscapesStoredText(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		prof := filepath.Join(t.TempDir(), "config.yaml")
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token(), "NO_COLOR": "1", "TERM": "xterm"}

		// The attacks, as an attacker performs them.
		const osc = "\x1b]0;pwned\x07"
		evilUser := "evil" + osc
		if _, err := d.Client(t, "").Login(bg, tc.LoginRequest{Username: evilUser, Password: "whatever1"}); err == nil {
			t.Fatal("login with a made-up user succeeded")
		}
		agentTok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
		logs := `[{"time":"2025-03-01T12:00:00Z","level":"error","source":"inputs.exec\u001b[2K","message":"\u001b[31mfake ERROR\u001b[0m\r\n\u001b]0;owned\u0007 done"}]`
		// tcd refuses C0 controls in id, version and hostname; C1 controls
		// (U+009B is CSI) and bidirectional overrides pass.
		body := `{"id":"agent-1","version":"Telegraf 1.39.3\u202e","schema":1,"hostname":"host\u009b1A\u009b2Kfake-row","status":"OK","logs":` + logs + `}`
		if status, resp := postHeartbeat(t, d, "Bearer "+agentTok, body); status != 200 {
			t.Fatalf("heartbeat: %d %v", status, resp)
		}
		clear := "\x1b[2J\x1b[Hreal prompt$"
		tok := createToken(t, owner, tc.CreateTokenRequest{Description: "ci" + clear, Preset: tc.PresetCI})

		views := [][]string{
			{"audit", "list"},
			{"audit", "list", "--actor", evilUser},
			{"agent", "list"},
			{"agent", "get", "agent-1"},
			{"agent", "logs", "agent-1"},
			{"agent", "summary"},
			{"token", "list"},
			{"token", "get", tok.ID},
			{"token", "get", "ci" + clear},
			{"token", "revoke", tok.ID, "--yes"},
		}
		for _, args := range views {
			for _, tty := range []bool{true, false} {
				var r run
				if tty {
					r = tcctlTerm(t, prof, env, args...)
				} else {
					r = tcctl(t, prof, "", env, args...)
				}
				if r.code != 0 {
					t.Errorf("%v (terminal %v): exit %d\n%s", args, tty, r.code, r.stderr)
				}
				if bad := rawControl(r.stdout + r.stderr); bad != "" {
					t.Errorf("%v (terminal %v) printed raw control characters %s:\n%s%s", args, tty, bad, r.stdout, r.stderr)
				}
			}
		}
		// The escaped text is there for people to see.
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"audit", "list"}, `evil\x1b]0;pwned\x07`},
			{[]string{"agent", "logs", "agent-1"}, `\x1b[31mfake ERROR\x1b[0m\r\n\x1b]0;owned\x07 done`},
			{[]string{"agent", "logs", "agent-1"}, `inputs.exec\x1b[2K`},
			{[]string{"agent", "list"}, `host\u009b1A\u009b2Kfake-row`},
			{[]string{"agent", "get", "agent-1"}, `Telegraf 1.39.3\u202e`},
			{[]string{"token", "get", tok.ID}, `ci\x1b[2J\x1b[Hreal prompt$`},
		} {
			if r := tcctl(t, prof, "", env, c.args...); !strings.Contains(r.stdout, c.want) {
				t.Errorf("%v does not show %s:\n%s", c.args, c.want, r.stdout)
			}
		}
		// With colours on, the only escape sequences are tcctl's own
		// (the status colour: one on, one off per row).
		colour := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token(), "TERM": "xterm"}
		r := tcctlTerm(t, prof, colour, "agent", "list")
		if n := strings.Count(r.stdout, "\x1b"); n != 2 || !strings.Contains(r.stdout, "\x1b[32mok\x1b[0m") {
			t.Errorf("agent list with colours: %d escape sequences\n%q", n, r.stdout)
		}
		// -o json is exact.
		r = tcctl(t, prof, "", env, "agent", "logs", "agent-1", "-o", "json")
		var got tc.AgentLogs
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got.Entries) != 1 ||
			got.Entries[0].Message != "\x1b[31mfake ERROR\x1b[0m\r\n\x1b]0;owned\x07 done" || got.Entries[0].Source != "inputs.exec\x1b[2K" {
			t.Errorf("agent logs -o json: %v %+v", err, got)
		}
		r = tcctl(t, prof, "", env, "audit", "list", "-o", "json")
		var entries []tc.AuditEntry
		found := false
		if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			found = found || e.Actor == evilUser
		}
		if !found {
			t.Errorf("audit list -o json lacks the actor %q:\n%s", evilUser, r.stdout)
		}
		r = tcctl(t, prof, "", env, "token", "list", "-o", "yaml")
		if !strings.Contains(r.stdout, `description: "ci\e[2J\e[Hreal prompt$"`) {
			t.Errorf("token list -o yaml: %s", r.stdout)
		}
	})
}
