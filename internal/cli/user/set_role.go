package user

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// SetRoleOptions are the inputs of `tcctl user set-role`.
type SetRoleOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	User string
	Role tc.Role
}

// NewCmdSetRole builds `tcctl user set-role`.
func NewCmdSetRole(f *cmdutil.Factory) *cobra.Command {
	opts := &SetRoleOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "set-role <user> <role>",
		Short: "Change a user's role",
		Long: `Change the role of a user to administrator, manager or viewer. The user's
sessions end at once; their API tokens are narrowed to the new role (and
revoked if it cannot hold tokens). The owner's role cannot be changed: use
"tcctl user transfer-owner".`,
		Example: "  tcctl user set-role bob manager",
		Args:    cmdutil.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 1 {
				return cmdutil.CompleteRoles(cmd, args, toComplete)
			}
			return cmdutil.CompleteUsername(f)(cmd, args, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			opts.User = args[0]
			r, err := tc.ParseRole(args[1])
			if err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			opts.Role = r
			return setRoleRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func setRoleRun(ctx context.Context, opts *SetRoleOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	u, err := c.UpdateUser(ctx, opts.User, tc.UpdateUserRequest{Role: &opts.Role})
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, u)
	}
	cmdutil.Successf(opts.IO, "Role of %s set to %s", u.Username, u.Role)
	return nil
}
