package group

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
)

// NewCmdDelete builds `tcctl group delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDeleteCmd(f, cmdutil.DeleteSpec{
		Use:     "delete <group>",
		Short:   "Delete a config group and its aliases (not its members)",
		Long:    "Delete a config group and its aliases; member configurations stay. Asks for confirmation on a terminal; elsewhere --yes is required.",
		Example: "  tcctl group delete fleet --yes",
		Resolve: func(ctx context.Context, c *client.Client, arg string) (string, func() error, error) {
			g, err := c.FindGroup(ctx, arg)
			if err != nil {
				return "", nil, err
			}
			return g.Name, func() error { return c.DeleteGroup(ctx, g.ID) }, nil
		},
		Question: "Delete config group %s?",
		Done:     "Config group %s deleted",
	})
}
