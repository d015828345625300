package user

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// GetOptions are the inputs of `tcctl user get`.
type GetOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	User string
}

// NewCmdGet builds `tcctl user get`.
func NewCmdGet(f *cmdutil.Factory) *cobra.Command {
	opts := &GetOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:               "get <id|username>",
		Short:             "Show one user",
		Long:              "Show one user, addressed by ID or username. Exits with 3 if there is no such user.",
		Example:           "  tcctl user get alice\n  tcctl user get alice -o json",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteUsername(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			opts.User = args[0]
			return getRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func getRun(ctx context.Context, opts *GetOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	u, err := c.GetUser(ctx, opts.User)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, u)
	}
	return printUserTable(opts.IO, u)
}
