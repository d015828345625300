package user

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// DisableOptions are the inputs of `tcctl user disable`.
type DisableOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	User string
	Yes  bool
}

// NewCmdDisable builds `tcctl user disable`.
func NewCmdDisable(f *cmdutil.Factory) *cobra.Command {
	opts := &DisableOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "disable <user>",
		Short: "Disable a user's account",
		Long: `Disable a user: their sessions end at once, they cannot log in, and their
API tokens stop working until the account is enabled again. The owner and
you yourself cannot be disabled. Asks for confirmation on a terminal;
elsewhere --yes is required.`,
		Example:           "  tcctl user disable bob\n  tcctl user disable bob --yes",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteUsername(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			opts.User = args[0]
			return disableRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func disableRun(ctx context.Context, opts *DisableOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, fmt.Sprintf("Disable user %s?", opts.User)); err != nil {
		return err
	}
	disabled := true
	u, err := c.UpdateUser(ctx, opts.User, tc.UpdateUserRequest{Disabled: &disabled})
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, u)
	}
	cmdutil.Successf(opts.IO, "User %s disabled", u.Username)
	return nil
}
