package label

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
)

// NewCmdDelete builds `tcctl label delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDeleteCmd(f, cmdutil.DeleteSpec{
		Use:     "delete <label>",
		Short:   "Delete a label everywhere",
		Long:    "Delete a label and remove it from every configuration, group and agent. Asks for confirmation on a terminal; elsewhere --yes is required.",
		Example: "  tcctl label delete staging --yes",
		Resolve: func(ctx context.Context, c *client.Client, arg string) (string, func() error, error) {
			l, err := c.GetLabel(ctx, arg)
			if err != nil {
				return "", nil, err
			}
			return l.Name, func() error { return c.DeleteLabel(ctx, l.ID) }, nil
		},
		Question: "Delete label %s everywhere?",
		Done:     "Label %s deleted",
	})
}
