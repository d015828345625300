package user

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// InvitesOptions are the inputs of `tcctl user invites`.
type InvitesOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Limit  int
	Offset int
}

// NewCmdInvites builds `tcctl user invites`.
func NewCmdInvites(f *cmdutil.Factory) *cobra.Command {
	opts := &InvitesOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "invites",
		Short: "List pending invitations",
		Long: `List invitations that have not been accepted yet. Codes are never shown
again; withdraw an invitation with "tcctl user delete-invite <id>" and
invite anew if a code was lost.`,
		Example: "  tcctl user invites\n  tcctl user invites -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Limit < 0 || opts.Limit > tc.MaxLimit {
				return cmdutil.FlagErrorf("--limit must be between 1 and %d", tc.MaxLimit)
			}
			if opts.Offset < 0 {
				return cmdutil.FlagErrorf("--offset must not be negative")
			}
			return invitesRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "maximum number of invitations to return (default 100)")
	cmd.Flags().IntVar(&opts.Offset, "offset", 0, "number of invitations to skip")
	return cmd
}

func invitesRun(ctx context.Context, opts *InvitesOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	list, err := c.ListInvites(ctx, tc.Page{Limit: opts.Limit, Offset: opts.Offset})
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, cmdutil.Items(list.Items))
	}
	if len(list.Items) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No pending invites")
		return nil
	}
	t := cmdutil.NewTable(opts.IO, "ID", "USERNAME", "EMAIL", "ROLE", "EXPIRES", "CREATED")
	for _, inv := range list.Items {
		t.Row(inv.ID, inv.Username, inv.Email, string(inv.Role), cmdutil.Time(inv.ExpiresAt), cmdutil.Time(inv.CreatedAt))
	}
	return t.Flush()
}
