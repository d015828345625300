package config

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// DeleteOptions are the inputs of `tcctl config delete`.
type DeleteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	Config string
	Force  bool
	Yes    bool
}

// NewCmdDelete builds `tcctl config delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	opts := &DeleteOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "delete <config>",
		Short: "Delete a configuration, its versions and aliases",
		Long: `Delete a configuration with its versions and aliases; it is removed from
every group. Refused while agents that are reporting use it, unless
--force. Asks for confirmation on a terminal; elsewhere --yes is required.`,
		Example: "  tcctl config delete web\n  tcctl config delete web --force --yes",
		Aliases: []string{"rm"},
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = args[0]
			return deleteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "delete even while reporting agents use it")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	cfg, err := c.FindConfig(ctx, opts.Config)
	if err != nil {
		return err
	}
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, fmt.Sprintf("Delete config %s and its %d version(s)?", cfg.Name, cfg.Version)); err != nil {
		return err
	}
	if err := c.DeleteConfig(ctx, cfg.ID, opts.Force); err != nil {
		return err
	}
	cmdutil.Successf(opts.IO, "Config %s deleted", cfg.Name)
	return nil
}
