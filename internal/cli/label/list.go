package label

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// ListOptions are the inputs of `tcctl label list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Search string
	Page   tc.Page
}

// NewCmdList builds `tcctl label list`.
func NewCmdList(f *cmdutil.Factory) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List labels",
		Long:    "List labels sorted by name, optionally searched on name and description.",
		Example: "  tcctl label list\n  tcctl label list --search prod -o json",
		Aliases: []string{"ls"},
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Page.Limit < 0 || opts.Page.Limit > tc.MaxLimit || opts.Page.Offset < 0 {
				return cmdutil.FlagErrorf("--limit must be between 1 and %d and --offset not negative", tc.MaxLimit)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Search, "search", "", "only labels whose name or description contains this text")
	cmd.Flags().IntVar(&opts.Page.Limit, "limit", 0, "maximum number of labels to return (default 100)")
	cmd.Flags().IntVar(&opts.Page.Offset, "offset", 0, "number of labels to skip")
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	list, err := c.ListLabels(ctx, opts.Search, opts.Page)
	if err != nil {
		return err
	}
	return cmdutil.PrintList(opts.IO, opts.Format, list, "labels", func(items ...tc.Label) error { return printLabelTable(opts.IO, items...) })
}
