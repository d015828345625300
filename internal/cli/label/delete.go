package label

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// DeleteOptions are the inputs of `tcctl label delete`.
type DeleteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	Label string
	Yes   bool
}

// NewCmdDelete builds `tcctl label delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "delete <label>",
		Short:   "Delete a label everywhere",
		Long:    "Delete a label and remove it from every configuration, group and agent. Asks for confirmation on a terminal; elsewhere --yes is required.",
		Example: "  tcctl label delete staging --yes",
		Aliases: []string{"rm"},
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Label = args[0]
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
	l, err := c.GetLabel(ctx, opts.Label)
	if err != nil {
		return err
	}
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, fmt.Sprintf("Delete label %s everywhere?", l.Name)); err != nil {
		return err
	}
	if err := c.DeleteLabel(ctx, l.ID); err != nil {
		return err
	}
	cmdutil.Successf(opts.IO, "Label %s deleted", l.Name)
	return nil
}
