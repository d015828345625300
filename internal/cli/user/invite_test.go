package user_test

import (
	"strings"
	"testing"

	"github.com/opentc/tc/internal/cli/clitest"
	"github.com/opentc/tc/pkg/tc"
)

func TestInvite(t *testing.T) {
	args := []string{"user", "invite", "--username", "dave", "--email", "dave@example.com", "--role", "viewer"}

	t.Run("script prints only the code", func(t *testing.T) {
		env := newEnv(t)
		res := env.Run(args...)
		res.Expect(t, 0, nil, nil)
		if !strings.HasPrefix(res.Stdout, "INV-") || strings.Count(res.Stdout, "\n") != 1 || res.Stderr != "" {
			t.Errorf("stdout = %q, stderr = %q; want just the code", res.Stdout, res.Stderr)
		}
	})
	t.Run("terminal prints a table and advice", func(t *testing.T) {
		env := newEnv(t)
		res := env.RunWith(clitest.Opts{TTY: true}, args...)
		res.Expect(t, 0, []string{"CODE", "EXPIRES", "dave", "INV-", "2025-03-04T12:00:00Z"}, []string{"it is shown once", "tcctl user accept-invite --url " + env.Server.URL + " --code INV-"})
	})
	t.Run("json prints the invite", func(t *testing.T) {
		env := newEnv(t)
		var inv tc.Invite
		env.Run(append(args, "-o", "json", "--expires-in-hours", "2")...).JSON(t, &inv)
		if inv.Code == "" || inv.Username != "dave" || inv.Role != tc.RoleViewer || !inv.ExpiresAt.Equal(inv.CreatedAt.Add(2*3600e9)) {
			t.Errorf("invite = %+v", inv)
		}
		req, _ := env.Server.LastRequest("POST", "/api/users/invites")
		if !strings.Contains(req.Body, `"expiresInHours":2`) {
			t.Errorf("body = %s", req.Body)
		}
	})
	t.Run("expiry omitted unless given", func(t *testing.T) {
		env := newEnv(t)
		env.Run(args...)
		req, _ := env.Server.LastRequest("POST", "/api/users/invites")
		if strings.Contains(req.Body, "expiresInHours") {
			t.Errorf("body = %s", req.Body)
		}
	})
	t.Run("expiry out of range", func(t *testing.T) {
		env := newEnv(t)
		env.Run(append(args, "--expires-in", "31d")...).Expect(t, 2, nil, []string{"--expires-in must be from 1h to 30d (got 31d)"})
		env.Run(append(args, "--expires-in", "90m")...).Expect(t, 2, nil, []string{"give whole hours"})
		env.Run(append(args, "--expires-in-hours", "0")...).Expect(t, 2, nil, []string{"--expires-in must be from 1h to 30d"})
	})
	t.Run("invalid role", func(t *testing.T) {
		env := newEnv(t)
		env.Run("user", "invite", "--username", "d", "--email", "d@example.com", "--role", "god").Expect(t, 2, nil, []string{`unknown role "god"`})
	})
}

func TestInvitesAndDeleteInvite(t *testing.T) {
	env := newEnv(t)
	env.Run("user", "invites", "-o", "json").Expect(t, 0, []string{"[]"}, nil)
	env.Run("user", "invites").Expect(t, 0, nil, []string{"No invites found"})

	var inv tc.Invite
	env.Run("user", "invite", "--username", "dave", "--email", "dave@example.com", "--role", "manager", "-o", "json").JSON(t, &inv)

	res := env.Run("user", "invites")
	res.Expect(t, 0, []string{"ID", "EXPIRES", inv.ID, "dave", "manager"}, nil)
	if strings.Contains(res.Stdout, inv.Code) {
		t.Error("invites list shows the code")
	}

	env.Run("user", "delete-invite", inv.ID).Expect(t, 2, nil, []string{"--yes is required when not running on a terminal"})
	env.RunWith(clitest.Opts{TTY: true, Stdin: "n\n"}, "user", "delete-invite", inv.ID).Expect(t, 1, nil, []string{"Delete invite dave? Their codes stop working. [y/N] ", "Cancelled."})
	// By the invited username, as by its ID.
	env.RunWith(clitest.Opts{TTY: true, Stdin: "y\n"}, "user", "delete-invite", "dave").Expect(t, 0, nil, []string{"✓ Deleted invite dave"})
	env.Run("user", "delete-invite", inv.ID, "--yes").Expect(t, 3, nil, []string{"no such invite: " + inv.ID})
}

func TestAcceptInvite(t *testing.T) {
	env := newEnv(t)
	code := strings.TrimSpace(env.Run("user", "invite", "--username", "dave", "--email", "dave@example.com", "--role", "manager").Stdout)

	// A fresh machine: no profile, URL from the flag.
	fresh := clitest.NewEnv(t)
	fresh.Server = env.Server
	res := fresh.RunWith(clitest.Opts{Stdin: "dave-password\n"}, "--url", env.Server.URL, "user", "accept-invite", "--code", code, "--password-stdin", "-o", "json")
	var u tc.User
	res.JSON(t, &u)
	if u.Username != "dave" || u.Role != tc.RoleManager {
		t.Errorf("user = %+v", u)
	}
	p := fresh.Profile()
	if p.Username != "dave" || p.URL != env.Server.URL || !env.Server.SessionValid(p.Token) {
		t.Errorf("profile = %+v", p)
	}
	if m := fresh.ProfileMode(); m != 0o600 {
		t.Errorf("profile mode = %o", m)
	}
	if env.Server.Password("dave") != "dave-password" {
		t.Error("password not set")
	}

	fresh.RunWith(clitest.Opts{TTY: true, Passwords: []string{"pw-123456", "pw-123456"}}, "user", "accept-invite", "--code", code).
		Expect(t, 1, nil, []string{"error: invalid or expired invite code"})
	fresh.Run("user", "accept-invite").Expect(t, 2, nil, []string{`required flag(s) "code" not set`})
}
