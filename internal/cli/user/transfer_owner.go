package user

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// TransferOwnerOptions are the inputs of `tcctl user transfer-owner`.
type TransferOwnerOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	User string
	Yes  bool
}

// NewCmdTransferOwner builds `tcctl user transfer-owner`.
func NewCmdTransferOwner(f *cmdutil.Factory) *cobra.Command {
	opts := &TransferOwnerOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "transfer-owner <user>",
		Short: "Make an administrator the owner (owner only)",
		Long: `Transfer ownership to an active administrator. In one step the
administrator becomes the owner and you become an administrator; both of
you lose your sessions and log in again. Only the owner can do this. Asks
for confirmation on a terminal; elsewhere --yes is required.`,
		Example:           "  tcctl user transfer-owner carol\n  tcctl user transfer-owner carol --yes -o json",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Users.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			opts.User = args[0]
			return transferOwnerRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func transferOwnerRun(ctx context.Context, opts *TransferOwnerOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	q := fmt.Sprintf("Transfer ownership to %s? You become an administrator and both of you are logged out.", cmdutil.Safe(opts.User))
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, q); err != nil {
		return err
	}
	res, err := c.TransferOwnership(ctx, opts.User)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, res)
	}
	cmdutil.Successf(opts.IO, "%s is now the owner and %s an administrator; log in again with tcctl login",
		res.Owner.Username, res.PreviousOwner.Username)
	return nil
}
