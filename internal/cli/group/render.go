package group

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
)

// NewCmdRender builds `tcctl group render`.
func NewCmdRender(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewRenderCmd(f, cmdutil.RenderSpec{
		Use:     "render <group>",
		Short:   "Print the TOML an agent would receive for a group",
		Long:    "Print a config group's rendered document exactly as tcd serves it: every member in order with a source comment, --param values applied to all members.",
		Example: "  tcctl group render fleet --param agent_id=web-01",
		Render: func(ctx context.Context, c *client.Client, arg string, q url.Values) (client.Rendered, error) {
			g, err := c.FindGroup(ctx, arg)
			if err != nil {
				return client.Rendered{}, err
			}
			return c.RenderGroup(ctx, g.ID, q)
		},
	})
}
