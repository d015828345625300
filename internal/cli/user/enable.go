package user

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// EnableOptions are the inputs of `tcctl user enable`.
type EnableOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	User string
}

// NewCmdEnable builds `tcctl user enable`.
func NewCmdEnable(f *cmdutil.Factory) *cobra.Command {
	opts := &EnableOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:               "enable <user>",
		Short:             "Enable a disabled user's account",
		Long:              "Enable a disabled user: they can log in again and their API tokens work again.",
		Example:           "  tcctl user enable bob",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteUsername(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			opts.User = args[0]
			return enableRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func enableRun(ctx context.Context, opts *EnableOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	disabled := false
	u, err := c.UpdateUser(ctx, opts.User, tc.UpdateUserRequest{Disabled: &disabled})
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, u)
	}
	cmdutil.Successf(opts.IO, "User %s enabled", u.Username)
	return nil
}
