package user

import (
	"context"
	"fmt"
	"time"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// ResetPasswordOptions are the inputs of `tcctl user reset-password`.
type ResetPasswordOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	User           string
	ExpiresInHours *int
}

// NewCmdResetPassword builds `tcctl user reset-password`.
func NewCmdResetPassword(f *cmdutil.Factory) *cobra.Command {
	opts := &ResetPasswordOptions{IO: f.IOStreams, Client: f.Client}
	var lifetime func() (*int, error)
	cmd := &cobra.Command{
		Use:   "reset-password <user>",
		Short: "Create a one-time password reset code for a user",
		Long: fmt.Sprintf(`Create a one-time code with which the user sets a new password
("tcctl user use-reset-code"). The code is shown once and expires after
--expires-in (1h to 30d, default %s).

On a terminal the code is printed with advice; in a pipe only the code is
printed. -o json|yaml prints the reset object.`, cmdutil.FormatDuration(tc.ResetHoursDefault*time.Hour)),
		Example:           "  tcctl user reset-password bob\n  CODE=$(tcctl user reset-password bob --expires-in 2h)",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Users.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			opts.User = args[0]
			var err error
			if opts.ExpiresInHours, err = lifetime(); err != nil {
				return err
			}
			return resetPasswordRun(cmd.Context(), opts)
		},
	}
	lifetime = cmdutil.CodeLifetimeFlags(cmd, tc.ResetHoursDefault)
	return cmd
}

func resetPasswordRun(ctx context.Context, opts *ResetPasswordOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	r, err := c.CreatePasswordReset(ctx, opts.User, tc.PasswordResetRequest{ExpiresInHours: opts.ExpiresInHours})
	if err != nil {
		return err
	}
	return oneTimeCode{
		object: r,
		code:   r.Code,
		table: func() error {
			t := cmdutil.NewTable(opts.IO, "USER", "CODE", "EXPIRES")
			t.Row(opts.User, r.Code, cmdutil.Time(r.ExpiresAt))
			return t.Flush()
		},
		advice: fmt.Sprintf("Share this code with %s; it is shown once. They set a new password with:\n  tcctl user use-reset-code --url %s --code %s",
			cmdutil.Safe(opts.User), c.BaseURL(), r.Code),
	}.print(opts.IO, opts.Format)
}
