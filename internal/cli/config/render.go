package config

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
)

// NewCmdRender builds `tcctl config render`.
func NewCmdRender(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewRenderCmd(f, cmdutil.RenderSpec{
		Use:   "render <config>",
		Short: "Print the TOML an agent would receive",
		Long: `Print the rendered TOML of a configuration exactly as tcd serves it to an
agent: constants and --param values substituted (repeat a --param to give
several values), ${ENV} and @{secret} left for Telegraf. A missing required
parameter is an error naming every missing one.`,
		Example:  "  tcctl config render web --param agent_id=web-01\n  tcctl config render web --param urls=a --param urls=b > web.rendered.toml",
		Complete: resource.Configs.CompleteFirst(f),
		Render: func(ctx context.Context, c *client.Client, arg string, q url.Values) (client.Rendered, error) {
			cfg, err := resource.Configs.Find(ctx, c, arg)
			if err != nil {
				return client.Rendered{}, err
			}
			return c.RenderConfig(ctx, cfg.ID, q)
		},
	})
}
