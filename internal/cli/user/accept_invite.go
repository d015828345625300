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
	IO     *iostreams.IOStreams
	Client func(token string) (*client.Client, error)
	// Save stores the new account's session in a context of its own and
	// reports whether that context is now the current one.
	Save   func(baseURL, token, username string) (*profile.Context, bool, error)
	Format cmdutil.Format

	Code          string
	PasswordStdin bool
}

// NewCmdAcceptInvite builds `tcctl user accept-invite`.
func NewCmdAcceptInvite(f *cmdutil.Factory) *cobra.Command {
	opts := &AcceptInviteOptions{IO: f.IOStreams, Client: f.ClientWithToken, Save: func(u, tok, user string) (*profile.Context, bool, error) {
		return f.SaveCredential(cmdutil.SaveNewAccount, u, tok, user, false)
	}}
	cmd := &cobra.Command{
		Use:   "accept-invite",
		Short: "Redeem an invite code, choose a password and log in",
		Long: `Redeem the one-time code from "tcctl user invite": choose a password, and
the new account is created and logged in. Its session is saved in a context
of its own (named host:port, or user@host:port when that exists), which
becomes current only if no context is current yet: an inviter's login in the
same shell stays current and untouched. Use it with --context NAME or
"tcctl context use NAME".

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
	saved, current, err := opts.Save(c.BaseURL(), resp.Token, resp.User.Username)
	if err != nil {
		return fmt.Errorf("account %s created, but the session could not be saved (log in with tcctl login): %w", resp.User.Username, err)
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, resp.User)
	}
	if current {
		cmdutil.Successf(opts.IO, "Account %s (%s) created and logged in to %s; context %s", resp.User.Username, resp.User.Role, c.BaseURL(), saved.Name)
		return nil
	}
	// Said whether or not stdout is a terminal: the user must learn where
	// the session went.
	fmt.Fprintf(opts.IO.ErrOut, "Account %s (%s) created; its session is saved in context %s (the current context is unchanged): use --context %s or tcctl context use %s\n",
		cmdutil.Safe(resp.User.Username), resp.User.Role, saved.Name, saved.Name, saved.Name)
	return nil
}
