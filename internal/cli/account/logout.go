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
	IO          *iostreams.IOStreams
	Profile     func() (*profile.Profile, error)
	SaveProfile func(*profile.Profile) error
	NewClient   func(baseURL, token string) (*client.Client, error)
}

// NewCmdLogout builds `tcctl logout`.
func NewCmdLogout(f *cmdutil.Factory) *cobra.Command {
	opts := &LogoutOptions{IO: f.IOStreams, Profile: f.Profile, SaveProfile: f.SaveProfile, NewClient: f.NewClient}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "End the saved session and forget it",
		Long: `End the session saved by "tcctl login" on the tcd it belongs to, then remove
the token and username from the profile (the URL is kept).

A session that tcd no longer knows (expired, or ended elsewhere) is simply
forgotten. TCCTL_TOKEN is not affected: unset it yourself.`,
		Example: `  tcctl logout`,
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return logoutRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func logoutRun(ctx context.Context, opts *LogoutOptions) error {
	p, err := opts.Profile()
	if err != nil {
		return err
	}
	if p.Token == "" {
		fmt.Fprintln(opts.IO.ErrOut, "Not logged in.")
		return nil
	}
	var serverErr error
	if c, err := opts.NewClient(p.URL, p.Token); err != nil {
		serverErr = err
	} else if err := c.Logout(ctx); err != nil && !cmdutil.IsUnauthorized(err) {
		serverErr = err
	}
	url := p.URL
	if err := opts.SaveProfile(&profile.Profile{URL: p.URL}); err != nil {
		return err
	}
	if serverErr != nil {
		return fmt.Errorf("the saved session was removed, but tcd at %s could not end it: %w", url, serverErr)
	}
	cmdutil.Successf(opts.IO, "Logged out of %s", url)
	return nil
}
