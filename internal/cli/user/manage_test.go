package user_test

import (
	"strings"
	"testing"

	"github.com/opentc/tc/internal/cli/clitest"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

func TestSetRole(t *testing.T) {
	env := newEnv(t)
	env.RunWith(clitest.Opts{TTY: true}, "user", "set-role", "vic", "manager").Expect(t, 0, nil, []string{"✓ Role of vic set to manager"})
	if u, _ := env.Server.User("vic"); u.Role != tc.RoleManager {
		t.Errorf("role = %s", u.Role)
	}
	var u tc.User
	env.Run("user", "set-role", "vic", "viewer", "-o", "json").JSON(t, &u)
	if u.Role != tc.RoleViewer {
		t.Errorf("json user = %+v", u)
	}
	env.Run("user", "set-role", "vic", "emperor").Expect(t, 2, nil, []string{`unknown role "emperor"`})
	env.Run("user", "set-role", "vic").Expect(t, 2, nil, []string{"missing argument", "<user> <role>"})
	env.Run("user", "set-role", "owner", "viewer").Expect(t, 1, nil, []string{"the owner can be neither demoted nor disabled"})
}

func TestDisableEnable(t *testing.T) {
	env := newEnv(t)
	bobTok := env.Server.Session("bob")
	env.Run("user", "disable", "bob").Expect(t, 2, nil, []string{"--yes is required when not running on a terminal"})
	if u, _ := env.Server.User("bob"); u.Disabled {
		t.Fatal("disabled without --yes")
	}
	res := env.RunWith(clitest.Opts{TTY: true, Stdin: "yes\n"}, "user", "disable", "bob")
	res.Expect(t, 0, nil, []string{"Disable user bob? [y/N] ", "✓ User bob (manager) disabled"})
	if u, _ := env.Server.User("bob"); !u.Disabled || env.Server.SessionValid(bobTok) {
		t.Errorf("bob = %+v, session valid = %v", u, env.Server.SessionValid(bobTok))
	}
	env.Run("user", "list", "--role", "manager").Expect(t, 0, []string{"disabled"}, nil)

	var u tc.User
	env.Run("user", "enable", "bob", "-o", "json").JSON(t, &u)
	if u.Disabled {
		t.Error("still disabled")
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name    string
		opts    clitest.Opts
		args    []string
		code    int
		stderr  []string
		deleted bool
	}{
		{name: "script needs --yes", code: 2, stderr: []string{"--yes is required when not running on a terminal"}},
		{name: "script with --yes", args: []string{"--yes"}, deleted: true},
		{name: "terminal, answer y", opts: clitest.Opts{TTY: true, Stdin: "y\n"}, stderr: []string{"Delete user bob? Their sessions end and their API tokens are deleted. [y/N] ", "✓ Deleted user bob"}, deleted: true},
		{name: "terminal, answer no", opts: clitest.Opts{TTY: true, Stdin: "\n"}, code: 1, stderr: []string{"Delete user bob? Their sessions end and their API tokens are deleted. [y/N] ", "Cancelled."}},
		{name: "terminal, stdin closed", opts: clitest.Opts{TTY: true}, code: 1, stderr: []string{"Cancelled."}},
		{name: "terminal with -y", opts: clitest.Opts{TTY: true}, args: []string{"-y"}, stderr: []string{"✓ Deleted user bob"}, deleted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			res := env.RunWith(tt.opts, append([]string{"user", "delete", "bob"}, tt.args...)...)
			res.Expect(t, tt.code, nil, tt.stderr)
			if res.Stdout != "" {
				t.Errorf("stdout = %q", res.Stdout)
			}
			if _, exists := env.Server.User("bob"); exists == tt.deleted {
				t.Errorf("bob exists = %v, want deleted = %v", exists, tt.deleted)
			}
			// bob is looked up, then deleted by his ID.
			if _, called := env.Server.LastRequest("DELETE", "/api/users/u0003"); called != tt.deleted {
				t.Errorf("DELETE sent = %v", called)
			}
		})
	}
}

func TestResetPasswordAndUseResetCode(t *testing.T) {
	env := newEnv(t)
	res := env.Run("user", "reset-password", "bob")
	code := strings.TrimSpace(res.Stdout)
	if res.Code != 0 || !strings.HasPrefix(code, "RST-") {
		t.Fatalf("reset-password: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	env.RunWith(clitest.Opts{TTY: true}, "user", "reset-password", "bob").Expect(t, 0, []string{"USER", "CODE", "bob", "RST-"}, []string{"it is shown once", "tcctl user use-reset-code"})
	var r tc.PasswordReset
	env.Run("user", "reset-password", "bob", "--expires-in-hours", "3", "-o", "json").JSON(t, &r)
	if r.Code == "" || r.UserID == "" {
		t.Errorf("reset = %+v", r)
	}

	res = env.RunWith(clitest.Opts{TTY: true, Passwords: []string{"new-bob-password", "new-bob-password"}}, "user", "use-reset-code", "--code", code)
	res.Expect(t, 0, nil, []string{"✓ Password changed"})
	if env.Server.Password("bob") != "new-bob-password" {
		t.Error("password not changed")
	}
	if len(res.Prompts) != 2 {
		t.Errorf("prompts = %q", res.Prompts)
	}
	env.RunWith(clitest.Opts{Stdin: "another-password\n"}, "user", "use-reset-code", "--code", code, "--password-stdin").
		Expect(t, 1, nil, []string{"error: invalid or expired reset code"})
	env.Run("user", "use-reset-code", "--code", code).Expect(t, 2, nil, []string{"--password-stdin is required"})
}

func TestTransferOwner(t *testing.T) {
	env := newEnv(t)
	env.Run("user", "transfer-owner", "carol").Expect(t, 2, nil, []string{"--yes is required"})

	var res client.TransferResult
	env.Run("user", "transfer-owner", "carol", "--yes", "-o", "json").JSON(t, &res)
	if res.Owner.Username != "carol" || res.Owner.Role != tc.RoleOwner || res.PreviousOwner.Role != tc.RoleAdministrator {
		t.Errorf("result = %+v", res)
	}
	// The old owner's session has ended.
	env.Run("user", "list").Expect(t, 4, nil, []string{"hint: the saved session has expired"})

	env.LoginAs("bob")
	env.Run("user", "transfer-owner", "vic", "--yes").Expect(t, 4, nil, []string{"error: only the owner can transfer ownership"})
}
