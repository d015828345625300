// Package user holds `tcctl user …`: listing and inspecting users,
// invitations, roles, disabling and deleting accounts, password resets and
// ownership transfer. One file per verb.
package user

import (
	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdUser builds the `tcctl user` noun and its verbs.
func NewCmdUser(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user <command>",
		Short: "Manage users, invitations, roles and password resets",
		Long: `Manage the accounts of tcd.

Roles, highest first: owner > administrator > manager > viewer. Owners and
administrators manage users (administrators cannot act on administrators or
grant that role); only the owner transfers ownership. <user> arguments take
a user ID or a username.`,
		Example: `  tcctl user list --role manager
  tcctl user invite --username bob --email bob@example.com --role viewer
  tcctl user set-role bob manager`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(
		NewCmdList(f),
		NewCmdGet(f),
		NewCmdInvite(f),
		NewCmdInvites(f),
		NewCmdDeleteInvite(f),
		NewCmdAcceptInvite(f),
		NewCmdSetRole(f),
		NewCmdDisable(f),
		NewCmdEnable(f),
		NewCmdDelete(f),
		NewCmdResetPassword(f),
		NewCmdUseResetCode(f),
		NewCmdTransferOwner(f),
	)
	return cmd
}
