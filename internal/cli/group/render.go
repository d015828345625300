package group

import (
	"context"
	"io"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// RenderOptions are the inputs of `tcctl group render`.
type RenderOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	Group  string
	Params []string
}

// NewCmdRender builds `tcctl group render`.
func NewCmdRender(f *cmdutil.Factory) *cobra.Command {
	opts := &RenderOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "render <group>",
		Short:   "Print the TOML an agent would receive for a group",
		Long:    "Print a config group's rendered document exactly as tcd serves it: every member in order with a source comment, --param values applied to all members.",
		Example: "  tcctl group render fleet --param agent_id=web-01",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Group = args[0]
			return renderRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.Params, "param", "p", nil, "parameter name=value (repeatable)")
	return cmd
}

func renderRun(ctx context.Context, opts *RenderOptions) error {
	q, err := parseParams(opts.Params)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	g, err := c.FindGroup(ctx, opts.Group)
	if err != nil {
		return err
	}
	r, err := c.RenderGroup(ctx, g.ID, q)
	if err != nil {
		return err
	}
	_, err = io.WriteString(opts.IO.Out, r.Body)
	return err
}
