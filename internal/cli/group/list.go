package group

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// ListOptions are the inputs of `tcctl group list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Filter client.ConfigFilter
}

// NewCmdList builds `tcctl group list`.
func NewCmdList(f *cmdutil.Factory) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List config groups",
		Long:    "List config groups, optionally searched (name and description), filtered by label, sorted (name, createdAt, updatedAt) and paged.",
		Example: "  tcctl group list\n  tcctl group list --label production -o json",
		Aliases: []string{"ls"},
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Filter.Limit < 0 || opts.Filter.Limit > tc.MaxLimit || opts.Filter.Offset < 0 {
				return cmdutil.FlagErrorf("--limit must be between 1 and %d and --offset not negative", tc.MaxLimit)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Filter.Search, "search", "", "only groups whose name or description contains this text")
	cmd.Flags().StringVar(&opts.Filter.Label, "label", "", "only groups with this label (ID or name)")
	cmd.Flags().StringVar(&opts.Filter.Sort, "sort", "", "sort by name, createdAt or updatedAt (default name)")
	cmd.Flags().BoolVar(&opts.Filter.Desc, "desc", false, "sort in descending order")
	cmd.Flags().IntVar(&opts.Filter.Limit, "limit", 0, "maximum number of groups to return (default 100)")
	cmd.Flags().IntVar(&opts.Filter.Offset, "offset", 0, "number of groups to skip")
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	list, err := c.ListGroups(ctx, opts.Filter)
	if err != nil {
		return err
	}
	return cmdutil.PrintList(opts.IO, opts.Format, list, "config groups", func(items ...tc.ConfigGroup) error { return printGroupTable(opts.IO, items...) })
}
