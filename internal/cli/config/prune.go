package config

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// PruneOptions are the inputs of `tcctl config prune`.
type PruneOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Config string
	Before int
	Yes    bool
}

// NewCmdPrune builds `tcctl config prune`.
func NewCmdPrune(f *cmdutil.Factory) *cobra.Command {
	opts := &PruneOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "prune <config> --before N",
		Short: "Delete old versions of a configuration",
		Long: `Delete the versions numbered below N. The current version is never
deleted (so neither is the only one). Asks for confirmation on a terminal;
elsewhere --yes is required.`,
		Example:           "  tcctl config prune web --before 10 --yes",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Config = f.Output, args[0]
			if opts.Before < 1 {
				return cmdutil.FlagErrorf("--before N is required (a version number)")
			}
			return pruneRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Before, "before", 0, "delete versions numbered below this one")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func pruneRun(ctx context.Context, opts *PruneOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	cfg, err := resource.Configs.Find(ctx, c, opts.Config)
	if err != nil {
		return err
	}
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, fmt.Sprintf("Delete the versions of %s before version %d?", cfg.Name, opts.Before)); err != nil {
		return err
	}
	res, err := c.PruneVersions(ctx, cfg.ID, opts.Before)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, res)
	}
	fmt.Fprintf(opts.IO.Out, "deleted %d version(s) of %s\n", res.Deleted, cmdutil.Safe(cfg.Name))
	return nil
}
