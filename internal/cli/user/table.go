package user

import (
	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/tc"
)

// printUserTable prints users as the table shared by list, get and the
// commands that change a user.
func printUserTable(ios *iostreams.IOStreams, users ...tc.User) error {
	t := cmdutil.NewTable(ios, "ID", "USERNAME", "EMAIL", "ROLE", "STATUS", "CREATED")
	for _, u := range users {
		t.Row(u.ID, u.Username, u.Email, string(u.Role), status(u), cmdutil.Time(u.CreatedAt))
	}
	return t.Flush()
}

func status(u tc.User) string {
	if u.Disabled {
		return "disabled"
	}
	return "active"
}
