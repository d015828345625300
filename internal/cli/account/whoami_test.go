package account_test

import (
	"strings"
	"testing"

	"github.com/opentc/tc/internal/cli/clitest"
	"github.com/opentc/tc/pkg/tc"
)

func TestWhoami(t *testing.T) {
	env := clitest.NewEnv(t)
	env.Server.AddUser("alice", tc.RoleManager, "alice-password")
	env.LoginAs("alice")

	res := env.Run("whoami")
	res.Expect(t, 0, []string{"USERNAME", "ROLE", "CREDENTIAL", "EMAIL", "alice", "manager", "session", "alice@example.com"}, nil)
	if lines := strings.Split(strings.TrimSpace(res.Stdout), "\n"); len(lines) != 2 {
		t.Errorf("want header and one row, got:\n%s", res.Stdout)
	}

	res = env.Run("whoami", "-o", "json")
	var me tc.Me
	res.JSON(t, &me)
	if me.User.Username != "alice" || me.Credential != "session" || len(me.Permissions) == 0 {
		t.Errorf("me = %+v", me)
	}
}
