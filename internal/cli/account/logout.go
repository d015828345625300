package account

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/profile"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// LogoutOptions are the inputs of `tcctl logout`.
type LogoutOptions struct {
	IO *iostreams.IOStreams
	// Contexts loads the configuration file; Save writes it.
	Contexts  func() (*profile.File, error)
	Save      func(*profile.File) error
	NewClient func(baseURL, token string) (*client.Client, error)
	// Context is the context to log out of ("" for the current one).
	Context string
}

// NewCmdLogout builds `tcctl logout`.
func NewCmdLogout(f *cmdutil.Factory) *cobra.Command {
	opts := &LogoutOptions{IO: f.IOStreams, Contexts: f.Contexts, Save: f.SaveContexts, NewClient: f.NewClient}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "End the saved session and forget it",
		Long: `End the session saved in the current context (or the one given with
--context) on the tcd it belongs to, then remove the token from the context
(the context and its URL are kept).

A session that tcd no longer knows (expired, or ended elsewhere) is simply
forgotten. TCCTL_TOKEN is not affected: unset it yourself.`,
		Example: "  tcctl logout\n  tcctl logout --context staging",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = f.SelectedContext()
			return logoutRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func logoutRun(ctx context.Context, opts *LogoutOptions) error {
	file, err := opts.Contexts()
	if err != nil {
		return err
	}
	c := file.Current()
	if opts.Context != "" {
		if c = file.Get(opts.Context); c == nil {
			return cmdutil.FlagErrorf("no context %q: see tcctl context list", opts.Context)
		}
	}
	if c == nil || c.Token == "" {
		fmt.Fprintln(opts.IO.ErrOut, "Not logged in.")
		return nil
	}
	var serverErr error
	if cl, err := opts.NewClient(c.URL, c.Token); err != nil {
		serverErr = err
	} else if err := cl.Logout(ctx); err != nil && !cmdutil.IsUnauthorized(err) {
		serverErr = err
	}
	url, name := c.URL, c.Name
	c.Token = ""
	if err := opts.Save(file); err != nil {
		return err
	}
	if serverErr != nil {
		return fmt.Errorf("the saved session was removed, but tcd at %s could not end it: %w", url, serverErr)
	}
	cmdutil.Successf(opts.IO, "Logged out of %s (context %s)", url, name)
	return nil
}
