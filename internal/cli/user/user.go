// Package user holds `tcctl user …`: listing and inspecting users,
// invitations, roles, disabling and deleting accounts, password resets and
// ownership transfer.
package user

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdUser builds the `tcctl user` noun and its verbs.
func NewCmdUser(f *cmdutil.Factory) *cobra.Command {
	r := resource.Users
	cmd := &cobra.Command{
		Use:   "user <command>",
		Short: "Manage users, invitations, roles and password resets",
		Long: `Manage the accounts of tcd.

Roles, highest first: owner > administrator > manager > viewer. Owners and
administrators manage users (administrators cannot act on administrators or
grant that role); only the owner transfers ownership. <user> arguments take
a user ID or a username; <invite> arguments an invite's ID or the invited
username.`,
		Example: `  tcctl user list --role manager
  tcctl user invite --username bob --email bob@example.com --role viewer
  tcctl user set-role bob manager`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(
		resource.NewListCmd(f, r, resource.Help{Short: "List users",
			Long:    "List the users of tcd, optionally filtered by role or by a search on username and email.",
			Example: "  tcctl user list\n  tcctl user list --role administrator\n  tcctl user list --search example.com -o json"}),
		resource.NewGetCmd(f, r, resource.Help{Use: "get <id|username>", Short: "Show one user",
			Long:    "Show one user, addressed by ID or username. Exits with 3 if there is no such user.",
			Example: "  tcctl user get alice\n  tcctl user get alice -o json"}),
		NewCmdInvite(f),
		resource.NewListCmd(f, resource.Invites, resource.Help{Use: "invites", Short: "List pending invitations",
			Long: `List invitations that have not been accepted yet. Codes are never shown
again; withdraw an invitation with "tcctl user delete-invite <username>" and
invite anew if a code was lost.`,
			Example: "  tcctl user invites\n  tcctl user invites -o json"}),
		resource.NewDeleteCmd(f, resource.Invites, resource.DeleteSpec{Warning: "Their codes stop working.",
			Help: resource.Help{Use: "delete-invite <invite>...", Short: "Withdraw pending invitations",
				Long: `Withdraw pending invitations (by the invited username or the invite's ID) so
that their codes no longer work. Asks for confirmation on a terminal;
elsewhere --yes is required.`,
				Example: "  tcctl user delete-invite bob\n  tcctl user delete-invite bob --yes"}}),
		NewCmdAcceptInvite(f),
		newCmdSetRole(f),
		newCmdSetDisabled(f, true),
		newCmdSetDisabled(f, false),
		resource.NewDeleteCmd(f, r, resource.DeleteSpec{Warning: "Their sessions end and their API tokens are deleted.",
			Help: resource.Help{Short: "Delete users and their API tokens",
				Long: `Delete users for good: their sessions end and their API tokens are
deleted. The owner and you yourself cannot be deleted. Asks for
confirmation on a terminal; elsewhere --yes is required.`,
				Example: "  tcctl user delete bob\n  tcctl user delete bob --yes"}}),
		NewCmdResetPassword(f),
		NewCmdUseResetCode(f),
		NewCmdTransferOwner(f),
	)
	return cmd
}

// completeGrantableRoles completes the roles an invite or set-role may
// give: never owner (ownership moves only by transfer-owner).
func completeGrantableRoles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return resource.GrantableRoles(), cobra.ShellCompDirectiveNoFileComp
}

// parseGrantableRole reads a role argument: a usage error for an unknown
// role or for owner.
func parseGrantableRole(s string) (tc.Role, error) {
	r, err := tc.ParseRole(s)
	if err != nil {
		return "", &cmdutil.FlagError{Err: err}
	}
	if r == tc.RoleOwner {
		return "", cmdutil.FlagErrorf("owner cannot be granted: use tcctl user transfer-owner")
	}
	return r, nil
}

// patchVerb builds a verb that changes one user (PATCH /api/users/{id})
// with the request req returns, and prints the user.
func patchVerb(f *cmdutil.Factory, h resource.Help, args int, flags func(*cobra.Command), req func(cmd *cobra.Command, u tc.User, args []string) (tc.UpdateUserRequest, string, error)) *cobra.Command {
	r := resource.Users
	return resource.NewObjectCmd(f, r, resource.ObjectSpec[tc.User]{
		Help: h, Args: args, Flags: flags, Complete: completeGrantableRoles,
		Run: func(cmd *cobra.Command, c *client.Client, u tc.User, args []string) error {
			body, done, err := req(cmd, u, args)
			if err != nil {
				return err
			}
			var out tc.User
			if err := c.Do(cmd.Context(), http.MethodPatch, r.ObjectPath(u.ID), nil, body, &out); err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, out)
			}
			cmdutil.Successf(f.IOStreams, done, out.Username, out.Role)
			return nil
		},
	})
}

func newCmdSetRole(f *cmdutil.Factory) *cobra.Command {
	return patchVerb(f, resource.Help{Use: "set-role <user> <role>", Short: "Change a user's role",
		Long: `Change the role of a user to administrator, manager or viewer. The user's
sessions end at once; their API tokens are narrowed to the new role (and
revoked if it cannot hold tokens). The owner's role cannot be changed: use
"tcctl user transfer-owner".`,
		Example: "  tcctl user set-role bob manager"}, 2, nil,
		func(cmd *cobra.Command, u tc.User, args []string) (tc.UpdateUserRequest, string, error) {
			role, err := parseGrantableRole(args[1])
			return tc.UpdateUserRequest{Role: &role}, "Role of %s set to %s", err
		})
}

// newCmdSetDisabled builds `user disable` (disable=true) or `user enable`.
func newCmdSetDisabled(f *cmdutil.Factory, disable bool) *cobra.Command {
	if !disable {
		return patchVerb(f, resource.Help{Use: "enable <user>", Short: "Enable a disabled user's account",
			Long: "Enable a disabled user: they can log in again and their API tokens work again.", Example: "  tcctl user enable bob"}, 1, nil,
			func(cmd *cobra.Command, u tc.User, args []string) (tc.UpdateUserRequest, string, error) {
				return tc.UpdateUserRequest{Disabled: &disable}, "User %s (%s) enabled", nil
			})
	}
	var yes bool
	return patchVerb(f, resource.Help{Use: "disable <user>", Short: "Disable a user's account",
		Long: `Disable a user: their sessions end at once, they cannot log in, and their
API tokens stop working until the account is enabled again. The owner and
you yourself cannot be disabled. Asks for confirmation on a terminal;
elsewhere --yes is required.`,
		Example: "  tcctl user disable bob\n  tcctl user disable bob --yes"}, 1,
		func(cmd *cobra.Command) { cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation") },
		func(cmd *cobra.Command, u tc.User, args []string) (tc.UpdateUserRequest, string, error) {
			err := cmdutil.Confirm(cmd.Context(), f.IOStreams, yes, fmt.Sprintf("Disable user %s?", cmdutil.Safe(u.Username)))
			return tc.UpdateUserRequest{Disabled: &disable}, "User %s (%s) disabled", err
		})
}
