package account_test

import (
	"os"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/cli/clitest"
	"github.com/opentc/tc/internal/cli/profile"
	"github.com/opentc/tc/pkg/tc"
)

func TestLogin(t *testing.T) {
	const pw = "alice-password"
	tests := []struct {
		name      string
		opts      clitest.Opts
		args      []string
		code      int
		stdoutHas []string
		stderrHas []string
		prompts   []string
		saved     bool
	}{
		{
			name:  "password-stdin",
			opts:  clitest.Opts{Stdin: pw + "\n"},
			args:  []string{"--username", "alice", "--password-stdin"},
			saved: true,
		},
		{
			name:      "terminal prompts",
			opts:      clitest.Opts{TTY: true, Stdin: "alice\n", Passwords: []string{pw}},
			stderrHas: []string{"Username: ", "✓ Logged in to http://", " as alice (manager)"},
			prompts:   []string{"Password: "},
			saved:     true,
		},
		{
			name:      "json prints me",
			opts:      clitest.Opts{Stdin: pw},
			args:      []string{"--username", "alice", "--password-stdin", "-o", "json"},
			stdoutHas: []string{`"credential": "session"`, `"permissions": [`, `"configs:write"`},
			saved:     true,
		},
		{
			name:      "wrong password",
			opts:      clitest.Opts{Stdin: "nope\n"},
			args:      []string{"--username", "alice", "--password-stdin"},
			code:      4,
			stderrHas: []string{"error: invalid username or password"},
		},
		{
			name:      "script without password-stdin",
			args:      []string{"--username", "alice"},
			code:      2,
			stderrHas: []string{"--password-stdin or --with-token is required when not running on a terminal"},
		},
		{
			name:      "script without username",
			opts:      clitest.Opts{Stdin: pw + "\n"},
			args:      []string{"--password-stdin"},
			code:      2,
			stderrHas: []string{"--username is required"},
		},
		{
			name:      "empty stdin",
			args:      []string{"--username", "alice", "--password-stdin"},
			code:      2,
			stderrHas: []string{"standard input holds no password"},
		},
		{
			name:      "with-token and password-stdin exclude each other",
			args:      []string{"--with-token", "--password-stdin"},
			code:      2,
			stderrHas: []string{"none of the others can be"},
		},
		{
			name:      "refused token",
			opts:      clitest.Opts{Stdin: "tc-apiv1_0000\n"},
			args:      []string{"--with-token"},
			code:      4,
			stderrHas: []string{"error: the token from standard input was refused"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := clitest.NewEnv(t)
			env.Server.AddUser("alice", tc.RoleManager, pw)
			res := env.RunWith(tt.opts, append([]string{"--url", env.Server.URL, "login"}, tt.args...)...)
			res.Expect(t, tt.code, tt.stdoutHas, tt.stderrHas)
			if len(tt.stdoutHas) == 0 && res.Stdout != "" {
				t.Errorf("stdout = %q, want nothing", res.Stdout)
			}
			if strings.Contains(res.Stderr, "hint:") {
				t.Errorf("a failed login must not hint at logging in:\n%s", res.Stderr)
			}
			if strings.Join(res.Prompts, "|") != strings.Join(tt.prompts, "|") {
				t.Errorf("prompts = %q, want %q", res.Prompts, tt.prompts)
			}
			if !tt.saved {
				if _, err := os.Stat(env.ProfilePath); err == nil {
					t.Error("profile written although login failed")
				}
				return
			}
			p := env.Profile()
			if p.URL != env.Server.URL || p.Username != "alice" || !env.Server.SessionValid(p.Token) {
				t.Errorf("profile = %+v", p)
			}
			if m := env.ProfileMode(); m != 0o600 {
				t.Errorf("profile mode = %o, want 600", m)
			}
			if data, _ := os.ReadFile(env.ProfilePath); strings.Contains(string(data), pw) {
				t.Errorf("profile holds the password:\n%s", data)
			}
		})
	}
}

func TestLoginWithToken(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("ci", tc.RoleManager, "ci-password")
	tok := env.Server.Session("ci")
	res := env.RunWith(clitest.Opts{Stdin: "  " + tok + "\n"}, "--url", env.Server.URL, "login", "--with-token")
	res.Expect(t, 0, nil, nil)
	if p := env.Profile(); p.Token != tok || p.Username != "ci" {
		t.Errorf("profile = %+v", p)
	}

	// On a terminal the token is read from a hidden prompt.
	tok2 := env.Server.Session("ci")
	res = env.RunWith(clitest.Opts{TTY: true, Passwords: []string{tok2}}, "--url", env.Server.URL, "login", "--with-token")
	res.Expect(t, 0, nil, []string{"✓ Logged in", "as ci (manager)"})
	if len(res.Prompts) != 1 || res.Prompts[0] != "Token: " {
		t.Errorf("prompts = %q", res.Prompts)
	}
	if p := env.Profile(); p.Token != tok2 {
		t.Errorf("profile token = %q, want the second token", p.Token)
	}
}

func TestLoginTightensExistingProfile(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("alice", tc.RoleManager, "alice-password")
	env.SaveContext(profile.Context{URL: env.Server.URL})
	os.Chmod(env.ProfilePath, 0o644)
	// The URL comes from the profile now.
	env.RunWith(clitest.Opts{Stdin: "alice-password\n"}, "login", "--username", "alice", "--password-stdin").Expect(t, 0, nil, nil)
	if m := env.ProfileMode(); m != 0o600 {
		t.Errorf("profile mode = %o, want 600", m)
	}
}

func TestLoginWarnsAboutTokenEnv(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("alice", tc.RoleManager, "alice-password")
	t.Setenv("TCCTL_TOKEN", "tc-apiv1_other")
	res := env.RunWith(clitest.Opts{Stdin: "alice-password\n"}, "--url", env.Server.URL, "login", "--username", "alice", "--password-stdin")
	res.Expect(t, 0, nil, []string{"warning: TCCTL_TOKEN is set and takes precedence"})
	if res.Stdout != "" {
		t.Errorf("stdout = %q", res.Stdout)
	}
	// The login itself must not have sent the stale variable.
	req, _ := env.Server.LastRequest("POST", "/api/auth/login")
	if req.Authorization != "" {
		t.Errorf("login sent Authorization %q", req.Authorization)
	}
}
