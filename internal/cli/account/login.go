package account

import (
	"context"
	"fmt"
	"strings"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/profile"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// LoginOptions are the inputs of `tcctl login`.
type LoginOptions struct {
	IO     *iostreams.IOStreams
	Client func(token string) (*client.Client, error)
	// Save stores the credential in the configuration file and returns
	// the context it went to.
	Save   func(baseURL, token, username string) (*profile.Context, error)
	Format cmdutil.Format

	// EnvTokenSet tells that TCCTL_TOKEN is set and will override the
	// session saved here.
	EnvTokenSet bool

	Username      string
	PasswordStdin bool
	WithToken     bool
}

// NewCmdLogin builds `tcctl login`.
func NewCmdLogin(f *cmdutil.Factory) *cobra.Command {
	opts := &LoginOptions{IO: f.IOStreams, Client: f.ClientWithToken, Save: func(u, tok, user string) (*profile.Context, error) {
		c, _, err := f.SaveCredential(cmdutil.SaveLogin, u, tok, user, true)
		return c, err
	}}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to tcd and save the session in a context",
		Long: `Log in to tcd with a username and password and save the session token,
the URL and the username in a context of the configuration file (mode 0600;
never the password), which becomes the current context.

The context updated is the one named by --context, else the one for this URL
and user, else the current one if it is for this URL, else the only one for
this URL; otherwise a new one is added, named after the URL's host:port (or
user@host:port). A saved credential is only ever sent to the URL it was
issued by; see "tcctl context".

On a terminal the username (if not given) and the password are asked for.
In scripts pass --username and pipe the password with --password-stdin, or
pipe an existing API or session token with --with-token; it is checked with
tcd before it is saved. Tokens and passwords are never accepted as arguments.

TCCTL_TOKEN, when set, takes precedence over the saved session.`,
		Example: `  tcctl login --url http://tcd.example.com:8888
  tcctl login --username alice
  tcctl login --url http://staging:8888 --context staging

  # scripts
  printf '%s\n' "$PASSWORD" | tcctl login --username alice --password-stdin
  tcctl login --url http://tcd:8888 --with-token < token.txt`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			opts.EnvTokenSet = strings.TrimSpace(f.Getenv(cmdutil.EnvToken)) != ""
			return loginRun(cmd.Context(), opts)
		},
	}
	cmdutil.DisableLoginHint(cmd)
	cmd.Flags().StringVar(&opts.Username, "username", "", "username to log in as")
	cmd.Flags().BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from the first line of standard input")
	cmd.Flags().BoolVar(&opts.WithToken, "with-token", false, "read an API or session token from standard input instead of logging in with a password")
	cmd.MarkFlagsMutuallyExclusive("with-token", "password-stdin")
	cmd.MarkFlagsMutuallyExclusive("with-token", "username")
	return cmd
}

func loginRun(ctx context.Context, opts *LoginOptions) error {
	ios := opts.IO
	token, err := obtainToken(ctx, opts)
	if err != nil {
		return err
	}
	c, err := opts.Client(token)
	if err != nil {
		return err
	}
	me, err := c.Me(ctx)
	if err != nil {
		if opts.WithToken && cmdutil.IsUnauthorized(err) {
			return fmt.Errorf("the token from standard input was refused: %w", err)
		}
		return err
	}
	saved, err := opts.Save(c.BaseURL(), token, me.User.Username)
	if err != nil {
		return err
	}
	if opts.EnvTokenSet {
		fmt.Fprintf(ios.ErrOut, "warning: %s is set and takes precedence over the saved session; unset it to use this login\n", cmdutil.EnvToken)
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(ios.Out, opts.Format, me)
	}
	cmdutil.Successf(ios, "Logged in to %s as %s (%s); context %s", c.BaseURL(), me.User.Username, me.User.Role, saved.Name)
	return nil
}

// obtainToken returns the credential to save: the token read with
// --with-token, or a new session from a password login.
func obtainToken(ctx context.Context, opts *LoginOptions) (string, error) {
	ios := opts.IO
	if opts.WithToken {
		var raw string
		var err error
		if ios.CanPrompt() && ios.ReadPassword != nil {
			raw, err = ios.ReadPassword(ctx, "Token: ")
		} else {
			raw, err = ios.ReadAll()
		}
		if err != nil {
			return "", fmt.Errorf("read token: %w", err)
		}
		token := strings.TrimSpace(raw)
		if token == "" {
			return "", cmdutil.FlagErrorf("--with-token: standard input holds no token")
		}
		return token, nil
	}

	interactive := ios.CanPrompt() && !opts.PasswordStdin
	if opts.Username == "" && !interactive {
		return "", cmdutil.FlagErrorf("--username is required %s", nonInteractiveReason(ios))
	}
	if !interactive && !opts.PasswordStdin {
		return "", cmdutil.FlagErrorf("--password-stdin or --with-token is required when not running on a terminal")
	}
	c, err := opts.Client("")
	if err != nil {
		return "", err
	}
	if opts.Username == "" {
		if opts.Username, err = cmdutil.PromptLine(ctx, ios, "Username"); err != nil {
			return "", err
		}
	}
	pw, err := cmdutil.ReadPassword(ctx, ios, cmdutil.PasswordMode{FromStdin: opts.PasswordStdin})
	if err != nil {
		return "", err
	}
	resp, err := c.Login(ctx, tc.LoginRequest{Username: opts.Username, Password: pw})
	if err != nil {
		return "", err
	}
	return resp.Token, nil
}
