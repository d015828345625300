package group

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// DeleteOptions are the inputs of `tcctl group delete`.
type DeleteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	Group string
	Yes   bool
}

// NewCmdDelete builds `tcctl group delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "delete <group>",
		Short:   "Delete a config group and its aliases (not its members)",
		Long:    "Delete a config group and its aliases; member configurations stay. Asks for confirmation on a terminal; elsewhere --yes is required.",
		Example: "  tcctl group delete fleet --yes",
		Aliases: []string{"rm"},
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Group = args[0]
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
	g, err := c.FindGroup(ctx, opts.Group)
	if err != nil {
		return err
	}
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, fmt.Sprintf("Delete config group %s?", g.Name)); err != nil {
		return err
	}
	if err := c.DeleteGroup(ctx, g.ID); err != nil {
		return err
	}
	cmdutil.Successf(opts.IO, "Config group %s deleted", g.Name)
	return nil
}
