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

// InviteOptions are the inputs of `tcctl user invite`.
type InviteOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Username       string
	Email          string
	Role           tc.Role
	ExpiresInHours *int
}

// NewCmdInvite builds `tcctl user invite`.
func NewCmdInvite(f *cmdutil.Factory) *cobra.Command {
	opts := &InviteOptions{IO: f.IOStreams, Client: f.Client}
	var role string
	var lifetime func() (*int, error)
	cmd := &cobra.Command{
		Use:   "invite",
		Short: "Invite a new user and print the one-time invite code",
		Long: fmt.Sprintf(`Invite a user: tcd returns a one-time code that the new user redeems with
"tcctl user accept-invite" to choose a password. The code is shown once and
expires after --expires-in (1h to 30d, default %s).

On a terminal the invitation is printed as a table; in a pipe only the code
is printed, so it can be captured. -o json|yaml prints the invitation.`,
			cmdutil.FormatDuration(tc.InviteHoursDefault*time.Hour)),
		Example: `  tcctl user invite --username bob --email bob@example.com --role manager
  CODE=$(tcctl user invite --username ci-bot --email ci@example.com --role viewer --expires-in 1h)`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			r, err := parseGrantableRole(role)
			if err != nil {
				return err
			}
			opts.Role = r
			if opts.ExpiresInHours, err = lifetime(); err != nil {
				return err
			}
			return inviteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Username, "username", "", "username of the new user (required)")
	cmd.Flags().StringVar(&opts.Email, "email", "", "email address of the new user (required)")
	cmd.Flags().StringVar(&role, "role", "", "role of the new user: administrator, manager or viewer (required)")
	lifetime = cmdutil.CodeLifetimeFlags(cmd, tc.InviteHoursDefault)
	for _, name := range []string{"username", "email", "role"} {
		_ = cmd.MarkFlagRequired(name)
	}
	_ = cmd.RegisterFlagCompletionFunc("role", completeGrantableRoles)
	return cmd
}

func inviteRun(ctx context.Context, opts *InviteOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	inv, err := c.CreateInvite(ctx, tc.InviteRequest{Username: opts.Username, Email: opts.Email, Role: opts.Role, ExpiresInHours: opts.ExpiresInHours})
	if err != nil {
		return err
	}
	return oneTimeCode{
		object: inv,
		code:   inv.Code,
		table: func() error {
			t := cmdutil.NewTable(opts.IO, "ID", "USERNAME", "EMAIL", "ROLE", "CODE", "EXPIRES")
			t.Row(inv.ID, inv.Username, inv.Email, string(inv.Role), inv.Code, cmdutil.Time(inv.ExpiresAt))
			return t.Flush()
		},
		advice: fmt.Sprintf("Share this code with %s; it is shown once. They join with:\n  tcctl user accept-invite --url %s --code %s",
			cmdutil.Safe(inv.Username), c.BaseURL(), inv.Code),
	}.print(opts.IO, opts.Format)
}
