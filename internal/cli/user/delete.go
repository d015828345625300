package user

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// DeleteOptions are the inputs of `tcctl user delete`.
type DeleteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	User string
	Yes  bool
}

// NewCmdDelete builds `tcctl user delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "delete <user>",
		Short: "Delete a user and their API tokens",
		Long: `Delete a user for good: their sessions end and their API tokens are
deleted. The owner and you yourself cannot be deleted. Asks for
confirmation on a terminal; elsewhere --yes is required.`,
		Example:           "  tcctl user delete bob\n  tcctl user delete bob --yes",
		Aliases:           []string{"rm"},
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteUsername(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return deleteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, fmt.Sprintf("Delete user %s?", opts.User)); err != nil {
		return err
	}
	if err := c.DeleteUser(ctx, opts.User); err != nil {
		return err
	}
	cmdutil.Successf(opts.IO, "User %s deleted", opts.User)
	return nil
}
