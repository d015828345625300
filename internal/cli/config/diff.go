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

// DiffOptions are the inputs of `tcctl config diff`.
type DiffOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Config   string
	From, To int
}

// NewCmdDiff builds `tcctl config diff`.
func NewCmdDiff(f *cmdutil.Factory) *cobra.Command {
	opts := &DiffOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "diff <config>",
		Short: "Show the unified diff between two versions",
		Long: `Show the unified diff from version --from to version --to. Defaults: --to
is the current version, --from the one before it. Prints nothing when the
two are equal.`,
		Example:           "  tcctl config diff web --from 1 --to 2\n  tcctl config diff web",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Config = f.Output, args[0]
			if opts.From < 0 || opts.To < 0 {
				return cmdutil.FlagErrorf("--from and --to are version numbers (1 or more)")
			}
			return diffRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.From, "from", 0, "base version (default: the one before --to)")
	cmd.Flags().IntVar(&opts.To, "to", 0, "target version (default: the current version)")
	return cmd
}

func diffRun(ctx context.Context, opts *DiffOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	cfg, err := resource.Configs.Find(ctx, c, opts.Config)
	if err != nil {
		return err
	}
	to, from := opts.To, opts.From
	if to == 0 {
		to = cfg.Version
	}
	if from == 0 {
		from = to - 1
	}
	if from < 1 {
		return fmt.Errorf("config %s has only version %d: nothing to compare", cfg.Name, to)
	}
	d, err := c.DiffConfig(ctx, cfg.ID, from, to)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, d)
	}
	return cmdutil.WriteText(opts.IO, d.Diff)
}
