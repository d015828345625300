package user_test

import (
	"strings"
	"testing"

	"github.com/opentc/tc/internal/cli/clitest"
	"github.com/opentc/tc/pkg/tc"
)

// newEnv returns an Env with an owner (logged in), an administrator, a
// manager and a viewer.
func newEnv(t *testing.T) *clitest.Env {
	env := clitest.NewEnv(t)
	env.Server.AddUser("owner", tc.RoleOwner, "owner-password")
	env.Server.AddUser("carol", tc.RoleAdministrator, "carol-password")
	env.Server.AddUser("bob", tc.RoleManager, "bob-password")
	env.Server.AddUser("vic", tc.RoleViewer, "vic-password")
	env.LoginAs("owner")
	return env
}

func TestList(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		stdout    string // exact, when set
		stdoutHas []string
		stderr    string
	}{
		{name: "table", args: []string{"user", "list"},
			stdoutHas: []string{"ID", "USERNAME", "EMAIL", "ROLE", "STATUS", "CREATED", "owner", "carol", "administrator", "active", "2025-03-01T12:00:00Z"}},
		{name: "role filter", args: []string{"user", "list", "--role", "Manager"}, stdoutHas: []string{"bob"}},
		{name: "empty table", args: []string{"user", "list", "--search", "zzz"}, stdout: "", stderr: "No users found\n"},
		{name: "empty json", args: []string{"user", "list", "--search", "zzz", "-o", "json"}, stdout: "[]\n"},
		{name: "empty yaml", args: []string{"user", "list", "--search", "zzz", "-o", "yaml"}, stdout: "[]\n"},
		{name: "json", args: []string{"user", "list", "--limit", "2", "-o", "json"}, stdoutHas: []string{"[\n  {\n    \"id\": ", `"username": "owner"`, `"username": "carol"`}, stderr: "showing 1–2 of 4 users\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			res := env.Run(tt.args...)
			res.Expect(t, 0, tt.stdoutHas, nil)
			if tt.stdoutHas == nil && res.Stdout != tt.stdout {
				t.Errorf("stdout = %q, want %q", res.Stdout, tt.stdout)
			}
			if res.Stderr != tt.stderr {
				t.Errorf("stderr = %q, want %q", res.Stderr, tt.stderr)
			}
		})
	}
}

func TestListSendsFilters(t *testing.T) {
	env := newEnv(t)
	env.Run("user", "list", "--role", "viewer", "--search", "v", "--limit", "5", "--offset", "1").Expect(t, 0, nil, nil)
	req, _ := env.Server.LastRequest("GET", "/api/users")
	if req.Query != "limit=5&offset=1&role=viewer&search=v" {
		t.Errorf("query = %q", req.Query)
	}
}

func TestListJSONIsTheAPIObjects(t *testing.T) {
	env := newEnv(t)
	var users []tc.User
	env.Run("user", "list", "-o", "json").JSON(t, &users)
	if len(users) != 4 || users[1].Username != "carol" || users[1].Role != tc.RoleAdministrator {
		t.Errorf("users = %+v", users)
	}
}

func TestListPagingHintOnTerminal(t *testing.T) {
	env := newEnv(t)
	res := env.RunWith(clitest.Opts{TTY: true}, "user", "list", "--limit", "2")
	res.Expect(t, 0, []string{"owner", "carol"}, []string{"showing 1–2 of 4 users"})
	if strings.Contains(res.Stdout, "showing") {
		t.Error("paging hint on stdout")
	}
}

func TestGet(t *testing.T) {
	env := newEnv(t)
	env.Run("user", "get", "bob").Expect(t, 0, []string{"USERNAME", "bob", "manager", "active"}, nil)

	var u tc.User
	env.Run("user", "get", "bob", "-o", "json").JSON(t, &u)
	if u.Username != "bob" || u.Email != "bob@example.com" {
		t.Errorf("user = %+v", u)
	}
	env.Run("user", "get", "nobody", "-o", "json").Expect(t, 3, nil, []string{`error: user "nobody" not found`})
}
