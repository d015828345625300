package token

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// ListOptions are the inputs of `tcctl token list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	User   string
	Limit  int
	Offset int
}

// NewCmdList builds `tcctl token list`.
func NewCmdList(f *cmdutil.Factory) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List API tokens",
		Long: `List API tokens, newest first, revoked and expired ones included. Managers
see their own; administrators and the owner see everybody's and can narrow
the list with --user. Token values are never shown, only their last four
characters (HINT).`,
		Example: "  tcctl token list\n  tcctl token list --user alice -o json",
		Aliases: []string{"ls"},
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Limit < 0 || opts.Limit > tc.MaxLimit {
				return cmdutil.FlagErrorf("--limit must be between 1 and %d", tc.MaxLimit)
			}
			if opts.Offset < 0 {
				return cmdutil.FlagErrorf("--offset must not be negative")
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.User, "user", "", "only tokens of this user (ID or username)")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "maximum number of tokens to return (default 100)")
	cmd.Flags().IntVar(&opts.Offset, "offset", 0, "number of tokens to skip")
	_ = cmd.RegisterFlagCompletionFunc("user", cmdutil.CompleteUsername(f))
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	list, err := c.ListTokens(ctx, opts.User, tc.Page{Limit: opts.Limit, Offset: opts.Offset})
	if err != nil {
		return err
	}
	return cmdutil.PrintList(opts.IO, opts.Format, list, "tokens", func(items ...tc.Token) error { return printTokenTable(opts.IO, items...) })
}
