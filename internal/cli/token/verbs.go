package token

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// IDOptions are the inputs of the verbs that act on one token.
type IDOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	ID   string
	User string // reassign: the new owner
	Yes  bool
}

// printOne prints a token as -o asks, or as a table.
func printOne(opts *IDOptions, t tc.Token) error {
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, t)
	}
	return printTokenTable(opts.IO, t)
}

// NewCmdGet builds `tcctl token get`.
func NewCmdGet(f *cmdutil.Factory) *cobra.Command {
	opts := &IDOptions{IO: f.IOStreams, Client: f.Client}
	return &cobra.Command{
		Use:     "get <id>",
		Short:   "Show one API token (never its value)",
		Long:    "Show an API token's description, owner, permissions, state and times. The value itself is never shown again.",
		Example: "  tcctl token get 5f0c2a1e-…\n  tcctl token get 5f0c2a1e-… -o yaml",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.ID = f.Output, args[0]
			c, err := opts.Client()
			if err != nil {
				return err
			}
			t, err := c.GetToken(cmd.Context(), opts.ID)
			if err != nil {
				return err
			}
			return printOne(opts, t)
		},
	}
}

// NewCmdRevoke builds `tcctl token revoke`.
func NewCmdRevoke(f *cmdutil.Factory) *cobra.Command {
	opts := &IDOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "revoke <id>",
		Short: "Revoke an API token for good",
		Long: `Revoke a token: it is refused from the very next request on and cannot be
re-activated; it stays listed as revoked. Asks on a terminal; elsewhere
--yes is required.`,
		Example: "  tcctl token revoke 5f0c2a1e-…\n  tcctl token revoke 5f0c2a1e-… --yes",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.ID = f.Output, args[0]
			return revokeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func revokeRun(ctx context.Context, opts *IDOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	if err := cmdutil.Confirm(ctx, opts.IO, opts.Yes, fmt.Sprintf("Revoke token %s? Agents using it will be refused.", opts.ID)); err != nil {
		return err
	}
	t, err := c.RevokeToken(ctx, opts.ID)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return printOne(opts, t)
	}
	cmdutil.Successf(opts.IO, "Token %s (%s) revoked", t.ID, t.Description)
	return nil
}

// NewCmdDelete builds `tcctl token delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDeleteCmd(f, cmdutil.DeleteSpec{
		Use:   "delete <id>",
		Short: "Delete an API token and its record",
		Long: `Delete a token: it stops working at once and disappears from the list (use
revoke to keep a record). Asks on a terminal; elsewhere --yes is required.`,
		Example: "  tcctl token delete 5f0c2a1e-… --yes",
		Resolve: func(ctx context.Context, c *client.Client, arg string) (string, func() error, error) {
			return arg, func() error { return c.DeleteToken(ctx, arg) }, nil
		},
		Question: "Delete token %s?",
		Done:     "Token %s deleted",
	})
}

// NewCmdReassign builds `tcctl token reassign`.
func NewCmdReassign(f *cmdutil.Factory) *cobra.Command {
	opts := &IDOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "reassign <id> <user>",
		Short: "Give an API token to another user",
		Long: `Make another user the owner of a token (administrators and the owner only).
Its permissions are clamped to the new owner's role: a full-access token
given to a viewer keeps only read permissions; a token left with nothing is
revoked.`,
		Example:           "  tcctl token reassign 5f0c2a1e-… bob",
		Args:              cmdutil.ExactArgs(2),
		ValidArgsFunction: cmdutil.CompleteUsername(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.ID, opts.User = f.Output, args[0], args[1]
			c, err := opts.Client()
			if err != nil {
				return err
			}
			t, err := c.ReassignToken(cmd.Context(), opts.ID, opts.User)
			if err != nil {
				return err
			}
			if opts.Format.Structured() {
				return printOne(opts, t)
			}
			cmdutil.Successf(opts.IO, "Token %s now belongs to %s (state %s)", t.ID, t.Username, t.State)
			return printTokenTable(opts.IO, t)
		},
	}
	return cmd
}
