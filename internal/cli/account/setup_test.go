package account_test

import (
	"os"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/cli/clitest"
	"github.com/opentc/tc/pkg/tc"
)

func TestSetup(t *testing.T) {
	const pw = "correct horse"
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
			name:  "password-stdin in a script",
			opts:  clitest.Opts{Stdin: pw + "\r\nignored second line\n"},
			args:  []string{"--username", "admin", "--email", "admin@example.com", "--password-stdin"},
			saved: true,
		},
		{
			name:      "terminal prompts for everything",
			opts:      clitest.Opts{TTY: true, Stdin: "admin\nadmin@example.com\n", Passwords: []string{pw, pw}},
			stderrHas: []string{"Username: ", "Email: ", "✓ Owner admin created and logged in"},
			prompts:   []string{"Password: ", "Repeat password: "},
			saved:     true,
		},
		{
			name:      "terminal with flags prompts only for the password",
			opts:      clitest.Opts{TTY: true, Passwords: []string{pw, pw}},
			args:      []string{"--username", "admin", "--email", "admin@example.com"},
			stderrHas: []string{"✓ Owner admin created"},
			prompts:   []string{"Password: ", "Repeat password: "},
			saved:     true,
		},
		{
			name:      "json prints the user",
			opts:      clitest.Opts{Stdin: pw + "\n"},
			args:      []string{"--username", "admin", "--email", "admin@example.com", "--password-stdin", "-o", "json"},
			stdoutHas: []string{`"username": "admin"`, `"role": "owner"`},
			saved:     true,
		},
		{
			name:      "passwords differ",
			opts:      clitest.Opts{TTY: true, Passwords: []string{pw, pw + "x"}},
			args:      []string{"--username", "admin", "--email", "admin@example.com"},
			code:      1,
			stderrHas: []string{"error: passwords do not match"},
			prompts:   []string{"Password: ", "Repeat password: "},
		},
		{
			name:      "script without --password-stdin",
			args:      []string{"--username", "admin", "--email", "admin@example.com"},
			code:      2,
			stderrHas: []string{"--password-stdin is required when not running on a terminal"},
		},
		{
			name:      "script without email",
			opts:      clitest.Opts{Stdin: pw + "\n"},
			args:      []string{"--username", "admin", "--password-stdin"},
			code:      2,
			stderrHas: []string{"--username and --email are required"},
		},
		{
			name:      "invalid username is refused before the password is asked",
			opts:      clitest.Opts{TTY: true},
			args:      []string{"--username", "x", "--email", "admin@example.com"},
			code:      2,
			stderrHas: []string{"username must be 3 to 50 characters"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := clitest.NewEnv(t)
			res := env.RunWith(tt.opts, append([]string{"--url", env.Server.URL, "setup"}, tt.args...)...)
			res.Expect(t, tt.code, tt.stdoutHas, tt.stderrHas)
			if len(tt.stdoutHas) == 0 && res.Stdout != "" {
				t.Errorf("stdout = %q, want nothing", res.Stdout)
			}
			if !tt.opts.TTY && strings.Contains(res.Stderr, "✓") {
				t.Errorf("success line off a terminal: %q", res.Stderr)
			}
			if strings.Join(res.Prompts, "|") != strings.Join(tt.prompts, "|") {
				t.Errorf("prompts = %q, want %q", res.Prompts, tt.prompts)
			}
			if !tt.saved {
				if _, err := os.Stat(env.ProfilePath); err == nil {
					t.Error("profile written although setup failed")
				}
				return
			}
			if got := env.Server.Password("admin"); got != pw {
				t.Errorf("owner password = %q, want %q", got, pw)
			}
			p := env.Profile()
			if p.URL != env.Server.URL || p.Username != "admin" || !env.Server.SessionValid(p.Token) {
				t.Errorf("profile = %+v", p)
			}
			if m := env.ProfileMode(); m != 0o600 {
				t.Errorf("profile mode = %o, want 600", m)
			}
			data, _ := os.ReadFile(env.ProfilePath)
			if strings.Contains(string(data), pw) || strings.Contains(string(data), "password") {
				t.Errorf("profile holds a password:\n%s", data)
			}
		})
	}
}

func TestSetupTwiceIsAConflict(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("owner", tc.RoleOwner, "owner-password")
	res := env.RunWith(clitest.Opts{Stdin: "another password\n"},
		"--url", env.Server.URL, "setup", "--username", "admin", "--email", "admin@example.com", "--password-stdin")
	res.Expect(t, 1, nil, []string{"error: setup is already complete", "use tcctl login"})
}
