package constant

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
)

// NewCmdDelete builds `tcctl constant delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDeleteCmd(f, cmdutil.DeleteSpec{
		Use:     "delete <name>",
		Short:   "Delete a constant no configuration references",
		Long:    "Delete a constant. Refused (exit 1) while a configuration references it. Asks for confirmation on a terminal; elsewhere --yes is required.",
		Example: "  tcctl constant delete region --yes",
		Resolve: func(ctx context.Context, c *client.Client, arg string) (string, func() error, error) {
			return arg, func() error { return c.DeleteConstant(ctx, arg) }, nil
		},
		Question: "Delete constant %s?",
		Done:     "Constant %s deleted",
	})
}
