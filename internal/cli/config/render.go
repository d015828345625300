package config

import (
	"context"
	"io"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// RenderOptions are the inputs of `tcctl config render`.
type RenderOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	Config string
	Params []string
}

// NewCmdRender builds `tcctl config render`.
func NewCmdRender(f *cmdutil.Factory) *cobra.Command {
	opts := &RenderOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "render <config>",
		Short: "Print the TOML an agent would receive",
		Long: `Print the rendered TOML of a configuration exactly as tcd serves it to an
agent: constants and --param values substituted (repeat a --param to give
several values), ${ENV} and @{secret} left for Telegraf. A missing required
parameter is an error naming every missing one.`,
		Example: "  tcctl config render web --param agent_id=web-01\n  tcctl config render web --param urls=a --param urls=b > web.rendered.toml",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = args[0]
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
	cfg, err := c.FindConfig(ctx, opts.Config)
	if err != nil {
		return err
	}
	r, err := c.RenderConfig(ctx, cfg.ID, q)
	if err != nil {
		return err
	}
	_, err = io.WriteString(opts.IO.Out, r.Body)
	return err
}
