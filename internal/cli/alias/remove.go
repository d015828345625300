package alias

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// RemoveOptions are the inputs of `tcctl alias remove`.
type RemoveOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	Alias string
	Yes   bool
}

// NewCmdRemove builds `tcctl alias remove`.
func NewCmdRemove(f *cmdutil.Factory) *cobra.Command {
	opts := &RemoveOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "remove <alias>",
		Short:   "Delete an alias",
		Long:    "Delete an alias. Agents fetching /c/<alias> get 404 afterwards. Asks for confirmation on a terminal; elsewhere --yes is required.",
		Example: "  tcctl alias remove web-prod --yes",
		Aliases: []string{"rm", "delete"},
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Alias = args[0]
			return removeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func removeRun(ctx context.Context, opts *RemoveOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, fmt.Sprintf("Delete alias %s? Agents using /c/%s will get 404.", opts.Alias, opts.Alias)); err != nil {
		return err
	}
	if err := c.DeleteAlias(ctx, opts.Alias); err != nil {
		return err
	}
	cmdutil.Successf(opts.IO, "Alias %s deleted", opts.Alias)
	return nil
}
