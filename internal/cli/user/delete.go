package user

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
)

// NewCmdDelete builds `tcctl user delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDeleteCmd(f, cmdutil.DeleteSpec{
		Use:   "delete <user>",
		Short: "Delete a user and their API tokens",
		Long: `Delete a user for good: their sessions end and their API tokens are
deleted. The owner and you yourself cannot be deleted. Asks for
confirmation on a terminal; elsewhere --yes is required.`,
		Example: "  tcctl user delete bob\n  tcctl user delete bob --yes",
		Resolve: func(ctx context.Context, c *client.Client, arg string) (string, func() error, error) {
			return arg, func() error { return c.DeleteUser(ctx, arg) }, nil
		},
		Question: "Delete user %s?",
		Done:     "User %s deleted",
		Complete: cmdutil.CompleteUsername(f),
	})
}
