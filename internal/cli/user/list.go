package user

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// ListOptions are the inputs of `tcctl user list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Role   string
	Search string
	Limit  int
	Offset int
}

// NewCmdList builds `tcctl user list`.
func NewCmdList(f *cmdutil.Factory) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Long: `List the users of tcd, optionally filtered by role or by a search on
username and email. Results are paged: --limit (default 100, at most 1000)
and --offset.`,
		Example: `  tcctl user list
  tcctl user list --role administrator
  tcctl user list --search example.com -o json`,
		Aliases: []string{"ls"},
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Role != "" {
				r, err := tc.ParseRole(opts.Role)
				if err != nil {
					return &cmdutil.FlagError{Err: err}
				}
				opts.Role = string(r)
			}
			if opts.Limit < 0 || opts.Limit > tc.MaxLimit {
				return cmdutil.FlagErrorf("--limit must be between 1 and %d", tc.MaxLimit)
			}
			if opts.Offset < 0 {
				return cmdutil.FlagErrorf("--offset must not be negative")
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Role, "role", "", "only users with this role (owner, administrator, manager, viewer)")
	cmd.Flags().StringVar(&opts.Search, "search", "", "only users whose username or email contains this text")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "maximum number of users to return (default 100)")
	cmd.Flags().IntVar(&opts.Offset, "offset", 0, "number of users to skip")
	_ = cmd.RegisterFlagCompletionFunc("role", cmdutil.CompleteRoles)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	list, err := c.ListUsers(ctx, client.UserFilter{Role: opts.Role, Search: opts.Search, Page: tc.Page{Limit: opts.Limit, Offset: opts.Offset}})
	if err != nil {
		return err
	}
	return cmdutil.PrintList(opts.IO, opts.Format, list, "users", func(items ...tc.User) error { return printUserTable(opts.IO, items...) })
}
