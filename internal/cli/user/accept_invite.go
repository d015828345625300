package user

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/profile"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// AcceptInviteOptions are the inputs of `tcctl user accept-invite`.
type AcceptInviteOptions struct {
	IO          *iostreams.IOStreams
	Client      func(token string) (*client.Client, error)
	SaveProfile func(*profile.Profile) error
	Format      cmdutil.Format

	Code          string
	PasswordStdin bool
}

// NewCmdAcceptInvite builds `tcctl user accept-invite`.
func NewCmdAcceptInvite(f *cmdutil.Factory) *cobra.Command {
	opts := &AcceptInviteOptions{IO: f.IOStreams, Client: f.ClientWithToken, SaveProfile: f.SaveProfile}
	cmd := &cobra.Command{
		Use:   "accept-invite",
		Short: "Redeem an invite code, choose a password and log in",
		Long: `Redeem the one-time code from "tcctl user invite": choose a password, and
the new account is created and logged in (the session is saved in the
profile, replacing any previous one).

Usually there is no profile yet, so pass --url (or set TCCTL_URL). On a
terminal the password is asked for twice without echo; in scripts pipe it
with --password-stdin.`,
		Example: `  tcctl user accept-invite --url http://tcd.example.com:8888 --code 4QX…
  printf '%s\n' "$PASSWORD" | tcctl user accept-invite --url http://tcd:8888 --code "$CODE" --password-stdin`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			return acceptInviteRun(cmd.Context(), opts)
		},
	}
	cmdutil.DisableLoginHint(cmd)
	cmd.Flags().StringVar(&opts.Code, "code", "", "the invite code (required)")
	cmd.Flags().BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the new password from the first line of standard input")
	_ = cmd.MarkFlagRequired("code")
	return cmd
}

func acceptInviteRun(ctx context.Context, opts *AcceptInviteOptions) error {
	c, err := opts.Client("")
	if err != nil {
		return err
	}
	pw, err := cmdutil.ReadPassword(ctx, opts.IO, cmdutil.PasswordMode{FromStdin: opts.PasswordStdin, Confirm: true})
	if err != nil {
		return err
	}
	resp, err := c.AcceptInvite(ctx, tc.CodeRequest{Code: opts.Code, Password: pw})
	if err != nil {
		return err
	}
	if err := opts.SaveProfile(&profile.Profile{URL: c.BaseURL(), Token: resp.Token, Username: resp.User.Username}); err != nil {
		return fmt.Errorf("account %s created, but the session could not be saved (log in with tcctl login): %w", resp.User.Username, err)
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, resp.User)
	}
	cmdutil.Successf(opts.IO, "Account %s (%s) created and logged in to %s", resp.User.Username, resp.User.Role, c.BaseURL())
	return nil
}
