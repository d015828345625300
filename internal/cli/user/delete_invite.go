package user

import (
	"context"
	"fmt"
	"time"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// DeleteInviteOptions are the inputs of `tcctl user delete-invite`.
type DeleteInviteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	ID  string
	Yes bool
}

// NewCmdDeleteInvite builds `tcctl user delete-invite`.
func NewCmdDeleteInvite(f *cmdutil.Factory) *cobra.Command {
	opts := &DeleteInviteOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "delete-invite <id>",
		Short: "Withdraw a pending invitation",
		Long: `Withdraw a pending invitation so that its code no longer works. Asks for
confirmation on a terminal; elsewhere --yes is required.`,
		Example:           "  tcctl user delete-invite 7f7c2a4e\n  tcctl user delete-invite 7f7c2a4e --yes",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: completeInviteIDs(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			return deleteInviteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func deleteInviteRun(ctx context.Context, opts *DeleteInviteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, fmt.Sprintf("Delete invite %s?", opts.ID)); err != nil {
		return err
	}
	if err := c.DeleteInvite(ctx, opts.ID); err != nil {
		return err
	}
	cmdutil.Successf(opts.IO, "Invite %s deleted", opts.ID)
	return nil
}

// completeInviteIDs suggests the IDs of pending invitations, described by
// the invited username; errors yield no suggestions.
func completeInviteIDs(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := f.Client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
		defer cancel()
		list, err := c.ListInvites(ctx, tc.Page{Limit: tc.MaxLimit})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, inv := range list.Items {
			out = append(out, cobra.CompletionWithDesc(inv.ID, inv.Username))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
