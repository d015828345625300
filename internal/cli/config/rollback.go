package config

import (
	"context"
	"fmt"
	"strconv"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// RollbackOptions are the inputs of `tcctl config rollback`.
type RollbackOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Config  string
	Version int
	Note    string
}

// NewCmdRollback builds `tcctl config rollback`.
func NewCmdRollback(f *cmdutil.Factory) *cobra.Command {
	opts := &RollbackOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "rollback <config> <version>",
		Short: "Make an earlier version current again (as a new version)",
		Long: `Restore the TOML of an earlier version. History is never rewritten: the
restored TOML becomes a new version, with --note or "Rollback to version N".`,
		Example:           "  tcctl config rollback web 1\n  tcctl config rollback web 3 --note \"undo bad output\"",
		Args:              cmdutil.ExactArgs(2),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Config = f.Output, args[0]
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				return cmdutil.FlagErrorf("version must be a number of 1 or more, not %q", args[1])
			}
			opts.Version = n
			return rollbackRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Note, "note", "", "note of the new version")
	return cmd
}

func rollbackRun(ctx context.Context, opts *RollbackOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	cur, err := resource.Configs.Find(ctx, c, opts.Config)
	if err != nil {
		return err
	}
	req := tc.RollbackRequest{Version: opts.Version}
	if opts.Note != "" {
		req.Note = &opts.Note
	}
	cfg, err := c.RollbackConfig(ctx, cur.ID, req)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, cfg)
	}
	if cfg.Version == cur.Version {
		fmt.Fprintf(opts.IO.Out, "unchanged %s (version %d already has the TOML of version %d)\n", cmdutil.Safe(cfg.Name), cfg.Version, opts.Version)
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "rolled back %s to version %d as version %d\n", cmdutil.Safe(cfg.Name), opts.Version, cfg.Version)
	return nil
}
