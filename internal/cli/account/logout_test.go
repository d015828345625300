package account_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opentc/tc/internal/cli/clitest"
	"github.com/opentc/tc/internal/cli/profile"
	"github.com/opentc/tc/pkg/tc"
)

func TestLogout(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("alice", tc.RoleManager, "alice-password")
	tok := env.LoginAs("alice")

	env.RunWith(clitest.Opts{TTY: true}, "logout").Expect(t, 0, nil, []string{"✓ Logged out of " + env.Server.URL})
	if env.Server.SessionValid(tok) {
		t.Error("session still valid on the server")
	}
	if p := env.Profile(); p.URL != env.Server.URL || p.Token != "" {
		t.Errorf("profile after logout = %+v, want only the URL", p)
	}
	if m := env.ProfileMode(); m != 0o600 {
		t.Errorf("profile mode = %o", m)
	}

	// Again: nothing to do, still success.
	env.Run("logout").Expect(t, 0, nil, []string{"Not logged in."})
}

func TestLogoutIgnoresUnauthorized(t *testing.T) {
	env := clitest.NewEnv(t)
	// The single-login file of earlier tcctl versions is read as a context.
	os.MkdirAll(filepath.Dir(env.ProfilePath), 0o700)
	os.WriteFile(env.ProfilePath, []byte("url: "+env.Server.URL+"\ntoken: tc-session_gone\nusername: alice\n"), 0o600)
	res := env.Run("logout")
	res.Expect(t, 0, nil, nil)
	if res.Stderr != "" {
		t.Errorf("stderr = %q, want nothing off a terminal", res.Stderr)
	}
	if p := env.Profile(); p.Token != "" || p.URL != env.Server.URL {
		t.Errorf("profile after logout = %+v", p)
	}
	if _, ok := env.Server.LastRequest("POST", "/api/auth/logout"); !ok {
		t.Error("logout did not call the server")
	}
}

func TestLogoutServerDown(t *testing.T) {
	env := clitest.NewEnv(t)
	env.SaveContext(profile.Context{URL: "http://127.0.0.1:1", Token: "tc-session_x", Username: "alice"})
	env.Run("logout").Expect(t, 1, nil, []string{"saved session was removed", "could not end it"})
	if p := env.Profile(); p.Token != "" {
		t.Errorf("token kept: %+v", p)
	}
}
