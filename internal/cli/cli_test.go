package cli_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/cli"
	"github.com/opentc/tc/internal/cli/clitest"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/profile"
	"github.com/opentc/tc/pkg/tc"
)

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name      string
		login     string // user whose session is saved in the profile ("" for none)
		args      []string
		code      int
		stdoutHas []string
		stderrHas []string
	}{
		{name: "help", args: []string{}, code: 0, stdoutHas: []string{"Exit codes", "4  authentication"}},
		{name: "help flag", args: []string{"user", "--help"}, code: 0, stdoutHas: []string{"accept-invite", "transfer-owner"}},
		{name: "unknown command", args: []string{"bogus"}, code: 2, stderrHas: []string{`error: unknown command "bogus"`}},
		{name: "unknown verb", args: []string{"user", "bogus"}, code: 2, stderrHas: []string{`unknown command "bogus" for "tcctl user"`}},
		{name: "unknown flag", args: []string{"user", "list", "--bogus"}, code: 2, stderrHas: []string{"unknown flag: --bogus"}},
		{name: "invalid output", args: []string{"-o", "xml", "version"}, code: 2, stderrHas: []string{`"xml"`, "table, json, yaml"}},
		{name: "missing argument", args: []string{"user", "get"}, code: 2, stderrHas: []string{"missing argument", "<id|username>"}},
		{name: "too many arguments", args: []string{"user", "get", "a", "b"}, code: 2, stderrHas: []string{"too many arguments"}},
		{name: "missing required flag", args: []string{"user", "invite", "--username", "bob"}, code: 2, stderrHas: []string{`"email"`, `"role"`}},
		{name: "invalid role", login: "owner", args: []string{"user", "list", "--role", "king"}, code: 2, stderrHas: []string{`--role "king": use one of owner, administrator, manager, viewer`}},
		{name: "not found", login: "owner", args: []string{"user", "get", "nobody"}, code: 3, stderrHas: []string{`error: user "nobody" not found`}},
		{name: "not logged in", args: []string{"whoami"}, code: 4, stderrHas: []string{"error: not logged in to http://127.0.0.1:", "run `tcctl login --url http://127.0.0.1:", "or set TCCTL_TOKEN"}},
		{name: "forbidden", login: "viewer", args: []string{"user", "list"}, code: 4, stderrHas: []string{"error: users:read required"}},
		{name: "conflict", login: "owner", args: []string{"user", "delete", "owner", "--yes"}, code: 1, stderrHas: []string{"error: neither the owner"}},
		{name: "yes required off terminal", login: "owner", args: []string{"user", "delete", "viewer"}, code: 2, stderrHas: []string{"--yes is required when not running on a terminal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := clitest.NewEnv(t)
			env.Server.AddUser("owner", tc.RoleOwner, "owner-password")
			env.Server.AddUser("viewer", tc.RoleViewer, "viewer-password")
			args := tt.args
			if tt.login != "" {
				env.LoginAs(tt.login)
			} else {
				args = append([]string{"--url", env.Server.URL}, args...)
			}
			res := env.Run(args...)
			res.Expect(t, tt.code, tt.stdoutHas, tt.stderrHas)
			if tt.code != 0 && res.Stdout != "" {
				t.Errorf("stdout must stay empty on error, got %q", res.Stdout)
			}
		})
	}
}

func TestForbiddenHasNoLoginHint(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("viewer", tc.RoleViewer, "viewer-password")
	env.LoginAs("viewer")
	res := env.Run("user", "invite", "--username", "bob", "--email", "bob@example.com", "--role", "viewer")
	res.Expect(t, 4, nil, []string{"error: users:write required"})
	if strings.Contains(res.Stderr, "hint") {
		t.Errorf("403 must not suggest logging in:\n%s", res.Stderr)
	}
}

func TestUnauthorizedHintNamesTheCredential(t *testing.T) {
	tests := []struct {
		name, envToken, profileToken, want string
	}{
		{"profile", "", "tc-session_stale", "hint: the saved session has expired or was ended; run tcctl login"},
		{"env", "tc-apiv1_bad", "", "hint: the token in TCCTL_TOKEN was refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := clitest.NewEnv(t)
			if tt.profileToken != "" {
				env.SaveContext(profile.Context{URL: env.Server.URL, Token: tt.profileToken})
			}
			t.Setenv("TCCTL_TOKEN", tt.envToken)
			env.Run("--url", env.Server.URL, "user", "list").Expect(t, 4, nil, []string{tt.want})
		})
	}
}

func TestUnreachableServer(t *testing.T) {
	env := clitest.NewEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	t.Setenv("TCCTL_TOKEN", "tc-apiv1_x")
	env.Run("--url", "http://"+addr, "whoami").Expect(t, 1, nil, []string{"error: cannot reach tcd at http://" + addr})
}

func TestNoURL(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Run("whoami").Expect(t, 2, nil, []string{"no tcd URL configured", "--url", "TCCTL_URL", "tcctl login --url"})
}

func TestTokenEnvOverridesProfile(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("owner", tc.RoleOwner, "owner-password")
	env.Server.AddUser("viewer", tc.RoleViewer, "viewer-password")
	env.LoginAs("viewer")
	ownerTok := env.Server.Session("owner")
	t.Setenv("TCCTL_TOKEN", ownerTok)

	res := env.Run("whoami")
	res.Expect(t, 0, []string{"owner"}, nil)
	req, _ := env.Server.LastRequest("GET", "/api/auth/me")
	if req.Authorization != "Bearer "+ownerTok {
		t.Errorf("Authorization = %q, want the TCCTL_TOKEN value", req.Authorization)
	}
}

func TestURLPrecedence(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("owner", tc.RoleOwner, "owner-password")
	other := clitest.NewServer(t)
	tok := env.Server.Session("owner")
	t.Setenv("TCCTL_TOKEN", tok)

	// profile → other; TCCTL_URL → env.Server: the variable wins.
	env.SaveContext(profile.Context{URL: other.URL})
	t.Setenv("TCCTL_URL", env.Server.URL)
	env.Run("whoami").Expect(t, 0, []string{"owner"}, nil)

	// --url beats TCCTL_URL.
	env.Run("--url", other.URL, "whoami").Expect(t, 4, nil, nil)
}

func TestConfigPathFromEnvAndFlag(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("owner", tc.RoleOwner, "owner-password")
	custom := filepath.Join(t.TempDir(), "custom", "profile.yaml")
	t.Setenv("TCCTL_CONFIG", custom)
	env.RunWith(clitest.Opts{Stdin: "owner-password\n"}, "login", "--url", env.Server.URL, "--username", "owner", "--password-stdin").Expect(t, 0, nil, nil)
	if _, err := os.Stat(custom); err != nil {
		t.Fatalf("TCCTL_CONFIG not used: %v", err)
	}
	if _, err := os.Stat(env.ProfilePath); err == nil {
		t.Error("default profile written although TCCTL_CONFIG is set")
	}
	flagPath := filepath.Join(t.TempDir(), "flag.yaml")
	env.RunWith(clitest.Opts{Stdin: "owner-password\n"}, "--config", flagPath, "login", "--url", env.Server.URL, "--username", "owner", "--password-stdin").Expect(t, 0, nil, nil)
	if _, err := os.Stat(flagPath); err != nil {
		t.Fatalf("--config not used: %v", err)
	}
}

func TestYAMLUsesJSONNames(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("owner", tc.RoleOwner, "owner-password")
	env.LoginAs("owner")
	res := env.Run("whoami", "-o", "yaml")
	res.Expect(t, 0, []string{"user:", "  username: owner", "  createdAt:", "credential: session", "permissions:", "  - users:write"}, nil)
	if strings.Contains(res.Stdout, "CreatedAt") {
		t.Errorf("YAML must use the JSON field names:\n%s", res.Stdout)
	}
}

func TestVersion(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Run("version").Expect(t, 0, []string{"tcctl dev"}, nil)

	res := env.Run("version", "-o", "json")
	res.Expect(t, 0, nil, nil)
	var v map[string]string
	if err := json.Unmarshal([]byte(res.Stdout), &v); err != nil || v["version"] != "dev" {
		t.Errorf("version -o json = %q (%v)", res.Stdout, err)
	}
	if _, ok := v["commit"]; !ok {
		t.Errorf("version -o json lacks commit: %q", res.Stdout)
	}
}

func TestCompletion(t *testing.T) {
	env := clitest.NewEnv(t)
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		res := env.Run("completion", sh)
		if res.Code != 0 || !strings.Contains(res.Stdout, "tcctl") {
			t.Errorf("completion %s: exit %d, %d bytes", sh, res.Code, len(res.Stdout))
		}
	}
	env.Run("completion", "tcsh").Expect(t, 2, nil, []string{`unsupported shell "tcsh"`})
}

func TestCompleteUsernames(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("owner", tc.RoleOwner, "owner-password")
	env.Server.AddUser("alice", tc.RoleManager, "alice-password")
	env.Server.AddUser("albert", tc.RoleViewer, "albert-password")
	env.LoginAs("owner")
	res := env.Run("__complete", "user", "get", "al")
	res.Expect(t, 0, []string{"alice\tmanager", "albert\tviewer"}, nil)
	if strings.Contains(res.Stdout, "owner") {
		t.Errorf("completion ignores the prefix:\n%s", res.Stdout)
	}

	// Without a login completion quietly offers nothing.
	os.Remove(env.ProfilePath)
	res = env.Run("__complete", "--url", env.Server.URL, "user", "delete", "")
	if res.Code != 0 || strings.Contains(res.Stdout, "alice") {
		t.Errorf("completion without login: exit %d\n%s", res.Code, res.Stdout)
	}
}

func TestInterrupted(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("owner", tc.RoleOwner, "owner-password")
	env.LoginAs("owner")
	ios, _, out, errOut := iostreams.Test()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := cli.Run(ctx, []string{"user", "list"}, ios); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if out.Len() != 0 || errOut.String() != "error: interrupted\n" {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}
}
