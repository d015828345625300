package user

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// UseResetCodeOptions are the inputs of `tcctl user use-reset-code`.
type UseResetCodeOptions struct {
	IO     *iostreams.IOStreams
	Client func(token string) (*client.Client, error)

	Code          string
	PasswordStdin bool
}

// NewCmdUseResetCode builds `tcctl user use-reset-code`.
func NewCmdUseResetCode(f *cmdutil.Factory) *cobra.Command {
	opts := &UseResetCodeOptions{IO: f.IOStreams, Client: f.ClientWithToken}
	cmd := &cobra.Command{
		Use:   "use-reset-code",
		Short: "Set a new password with a one-time reset code",
		Long: `Redeem a code from "tcctl user reset-password" and set a new password.
No login is needed (pass --url if there is no profile). On a terminal the
password is asked for twice without echo; in scripts pipe it with
--password-stdin. Log in afterwards with "tcctl login".`,
		Example: `  tcctl user use-reset-code --url http://tcd.example.com:8888 --code 8KD…
  printf '%s\n' "$NEW_PASSWORD" | tcctl user use-reset-code --code "$CODE" --password-stdin`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return useResetCodeRun(cmd.Context(), opts)
		},
	}
	cmdutil.DisableLoginHint(cmd)
	cmd.Flags().StringVar(&opts.Code, "code", "", "the reset code (required)")
	cmd.Flags().BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the new password from the first line of standard input")
	_ = cmd.MarkFlagRequired("code")
	return cmd
}

func useResetCodeRun(ctx context.Context, opts *UseResetCodeOptions) error {
	c, err := opts.Client("")
	if err != nil {
		return err
	}
	pw, err := cmdutil.ReadPassword(ctx, opts.IO, cmdutil.PasswordMode{FromStdin: opts.PasswordStdin, Confirm: true})
	if err != nil {
		return err
	}
	if err := c.ResetPassword(ctx, tc.CodeRequest{Code: opts.Code, Password: pw}); err != nil {
		return err
	}
	cmdutil.Successf(opts.IO, "Password changed; log in with tcctl login")
	return nil
}
