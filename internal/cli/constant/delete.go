package constant

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// DeleteOptions are the inputs of `tcctl constant delete`.
type DeleteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	Name string
	Yes  bool
}

// NewCmdDelete builds `tcctl constant delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "delete <name>",
		Short:   "Delete a constant no configuration references",
		Long:    "Delete a constant. Refused (exit 1) while a configuration references it. Asks for confirmation on a terminal; elsewhere --yes is required.",
		Example: "  tcctl constant delete region --yes",
		Aliases: []string{"rm"},
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
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
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, fmt.Sprintf("Delete constant %s?", opts.Name)); err != nil {
		return err
	}
	if err := c.DeleteConstant(ctx, opts.Name); err != nil {
		return err
	}
	cmdutil.Successf(opts.IO, "Constant %s deleted", opts.Name)
	return nil
}
