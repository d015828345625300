package group

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// GetOptions are the inputs of `tcctl group get`.
type GetOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Group string
}

// NewCmdGet builds `tcctl group get`.
func NewCmdGet(f *cmdutil.Factory) *cobra.Command {
	opts := &GetOptions{IO: f.IOStreams, Client: f.Client}
	return &cobra.Command{
		Use:     "get <group>",
		Short:   "Show one config group",
		Long:    "Show a config group by ID, alias or name; -o json includes its ordered member IDs. Exits with 3 if there is no such group.",
		Example: "  tcctl group get fleet -o json",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Group = f.Output, args[0]
			return getRun(cmd.Context(), opts)
		},
	}
}

func getRun(ctx context.Context, opts *GetOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	g, err := c.FindGroup(ctx, opts.Group)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, g)
	}
	return printGroupTable(opts.IO, g)
}
