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

// SetupOptions are the inputs of `tcctl setup`.
type SetupOptions struct {
	IO          *iostreams.IOStreams
	Client      func(token string) (*client.Client, error)
	SaveProfile func(*profile.Profile) error
	Format      cmdutil.Format

	Username      string
	Email         string
	PasswordStdin bool
	Code          string
}

// NewCmdSetup builds `tcctl setup`.
func NewCmdSetup(f *cmdutil.Factory) *cobra.Command {
	opts := &SetupOptions{IO: f.IOStreams, Client: f.ClientWithToken, SaveProfile: f.SaveProfile}
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Create the owner account of a new tcd and log in",
		Long: `Create the owner, the first account of a fresh tcd, and save its session
in the profile so that later commands are authenticated.

Setup works only while tcd has no owner; afterwards tcd answers with a
conflict and you log in with "tcctl login" instead.

On a terminal, missing values are asked for and the password is read twice
without echo. In scripts pass --username and --email and pipe the password
with --password-stdin; the password is never accepted as an argument.

From the tcd host itself no code is needed. From any other host pass the
one-time setup code that tcd prints to its log at start while it has no
owner (setup_code=tc-setup_…) with --code.`,
		Example: `  # interactively
  tcctl setup --url http://tcd.example.com:8888

  # from a script
  printf '%s\n' "$OWNER_PASSWORD" | tcctl setup --url http://tcd:8888 \
      --username admin --email admin@example.com --password-stdin

  # from another host, with the code from tcd's log
  tcctl setup --url http://tcd.example.com:8888 --code tc-setup_3f…`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			return setupRun(cmd.Context(), opts)
		},
	}
	cmdutil.DisableLoginHint(cmd)
	cmd.Flags().StringVar(&opts.Username, "username", "", "username of the owner (3–50 characters)")
	cmd.Flags().StringVar(&opts.Email, "email", "", "email address of the owner")
	cmd.Flags().BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from the first line of standard input")
	cmd.Flags().StringVar(&opts.Code, "code", "", "the one-time setup code from tcd's log (needed from any host but tcd's own)")
	return cmd
}

func setupRun(ctx context.Context, opts *SetupOptions) error {
	ios := opts.IO
	interactive := ios.CanPrompt() && !opts.PasswordStdin
	if !interactive && (opts.Username == "" || opts.Email == "") {
		return cmdutil.FlagErrorf("--username and --email are required %s", nonInteractiveReason(ios))
	}
	c, err := opts.Client("")
	if err != nil {
		return err
	}
	if opts.Username == "" {
		if opts.Username, err = cmdutil.PromptLine(ctx, ios, "Username"); err != nil {
			return err
		}
	}
	if _, err := tc.NormalizeUsername(opts.Username); err != nil {
		return err
	}
	if opts.Email == "" {
		if opts.Email, err = cmdutil.PromptLine(ctx, ios, "Email"); err != nil {
			return err
		}
	}
	if _, err := tc.NormalizeEmail(opts.Email); err != nil {
		return err
	}
	pw, err := cmdutil.ReadPassword(ctx, ios, cmdutil.PasswordMode{FromStdin: opts.PasswordStdin, Confirm: true})
	if err != nil {
		return err
	}
	resp, err := c.Setup(ctx, tc.SetupRequest{Username: opts.Username, Email: opts.Email, Password: pw, Code: strings.TrimSpace(opts.Code)})
	if tc.IsCode(err, tc.EConflict) {
		return fmt.Errorf("%w (tcd already has an owner: use tcctl login)", err)
	}
	if err != nil {
		return err
	}
	if err := opts.SaveProfile(&profile.Profile{URL: c.BaseURL(), Token: resp.Token, Username: resp.User.Username}); err != nil {
		return fmt.Errorf("owner %s created, but the session could not be saved (log in with tcctl login): %w", resp.User.Username, err)
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(ios.Out, opts.Format, resp.User)
	}
	cmdutil.Successf(ios, "Owner %s created and logged in", resp.User.Username)
	return nil
}

// nonInteractiveReason finishes "X is required …" messages.
func nonInteractiveReason(ios *iostreams.IOStreams) string {
	if ios.CanPrompt() {
		return "with --password-stdin"
	}
	return "when not running on a terminal"
}
