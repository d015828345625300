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

// HistoryOptions are the inputs of `tcctl config history`.
type HistoryOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Config string
}

// NewCmdHistory builds `tcctl config history`.
func NewCmdHistory(f *cmdutil.Factory) *cobra.Command {
	opts := &HistoryOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:               "history <config>",
		Short:             "List the versions of a configuration",
		Long:              "List the versions of a configuration, newest first, with author, time and note; the current one is marked. -o json includes each version's TOML.",
		Example:           "  tcctl config history web\n  tcctl config history web -o json",
		Aliases:           []string{"versions"},
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Config = f.Output, args[0]
			return historyRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func historyRun(ctx context.Context, opts *HistoryOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	cfg, err := resource.Configs.Find(ctx, c, opts.Config)
	if err != nil {
		return err
	}
	vs, err := c.ConfigVersions(ctx, cfg.ID)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, cmdutil.Items(vs))
	}
	t := cmdutil.NewTable(opts.IO, "VERSION", "CURRENT", "AUTHOR", "CREATED", "NOTE")
	for _, v := range vs {
		cur := ""
		if v.Current {
			cur = "*"
		}
		t.Row(fmt.Sprint(v.Version), cur, v.Author, cmdutil.Time(v.CreatedAt), v.Note)
	}
	return t.Flush()
}
