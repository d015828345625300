// Package token holds `tcctl token …`: creating, listing, revoking,
// deleting and reassigning API tokens.
package token

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdToken builds the `tcctl token` noun and its verbs.
func NewCmdToken(f *cmdutil.Factory) *cobra.Command {
	r := resource.Tokens
	cmd := &cobra.Command{
		Use:   "token <command>",
		Short: "Manage API tokens for agents, CI pipelines and scripts",
		Long: `Manage API tokens (tc-apiv1_…). A token acts for the user who owns it and
never exceeds that user's role: its effective permissions are its own
permissions within the owner's current role. The raw value is shown once,
by "tcctl token create"; tcd keeps only its SHA-256.

Managers manage their own tokens; administrators and the owner manage
everybody's and may reassign them. Permissions are resource:action pairs
(e.g. configs:read, heartbeat:write; secrets:read:<set> limits secret values
to one set); presets: telegraf-agent (configs:read + heartbeat:write),
telegraf-agent-secrets (the same + secrets:read on every set), ci (configs:read, configs:write, labels:read),
read-only (every read you hold but secrets) and full-access (of what you
hold). <token> arguments take a
token's ID or its description.`,
		Example: `  T=$(tcctl token create --description "web fleet" --preset telegraf-agent)
  tcctl token list
  tcctl token revoke "web fleet" --yes`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(
		NewCmdCreate(f),
		resource.NewListCmd(f, r, resource.Help{Short: "List API tokens",
			Long: `List API tokens, newest first, revoked and expired ones included. Managers
see their own; administrators and the owner see everybody's and can narrow
the list with --user. Token values are never shown, only their last four
characters (HINT).`,
			Example: "  tcctl token list\n  tcctl token list --user alice -o json"}),
		resource.NewGetCmd(f, r, resource.Help{Short: "Show one API token (never its value)",
			Long:    "Show an API token's description, owner, permissions, state and times. The value itself is never shown again.",
			Example: "  tcctl token get \"CI deploy\"\n  tcctl token get 5f0c2a1e-… -o yaml"}),
		newCmdRevoke(f),
		resource.NewDeleteCmd(f, r, resource.DeleteSpec{Warning: "They stop working at once.",
			Help: resource.Help{Short: "Delete API tokens and their records",
				Long: `Delete tokens: they stop working at once and disappear from the list (use
revoke to keep a record). Asks on a terminal; elsewhere --yes is required.`,
				Example: "  tcctl token delete \"CI deploy\" --yes"}}),
		newCmdReassign(f),
	)
	return cmd
}

func newCmdRevoke(f *cmdutil.Factory) *cobra.Command {
	r := resource.Tokens
	var yes bool
	cmd := &cobra.Command{
		Use:   "revoke <token>...",
		Short: "Revoke API tokens for good",
		Long: `Revoke tokens: they are refused from the very next request on and cannot be
re-activated; they stay listed as revoked. Asks on a terminal; elsewhere
--yes is required. Tokens not found are named and tcctl exits 3.`,
		Example:           "  tcctl token revoke \"CI deploy\"\n  tcctl token revoke 5f0c2a1e-… --yes",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: r.Complete(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := f.Client()
			if err != nil {
				return err
			}
			found, missing, err := r.FindAll(ctx, c, args)
			if err != nil {
				return err
			}
			if len(found) > 0 {
				q := fmt.Sprintf("Revoke token(s) %s? Agents using them will be refused.", strings.Join(r.Names(found), ", "))
				if err := cmdutil.Confirm(ctx, f.IOStreams, yes, cmdutil.Safe(q)); err != nil {
					return err
				}
			}
			var out []tc.Token
			for _, t := range found {
				var v tc.Token
				if err := c.Do(ctx, http.MethodPost, r.ObjectPath(t.ID)+"/revoke", nil, nil, &v); err != nil {
					return err
				}
				out = append(out, v)
				cmdutil.Reportf(f.IOStreams, len(missing) > 0, "Token %s (%s) revoked", v.ID, v.Description)
			}
			if f.Output.Structured() && len(out) > 0 {
				if err := cmdutil.PrintStructured(f.IOStreams.Out, f.Output, out); err != nil {
					return err
				}
			}
			return r.Missing(missing)
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func newCmdReassign(f *cmdutil.Factory) *cobra.Command {
	r := resource.Tokens
	return resource.NewObjectCmd(f, r, resource.ObjectSpec[tc.Token]{
		Args: 2,
		Help: resource.Help{Use: "reassign <token> <user>", Short: "Give an API token to another user",
			Long: `Make another user the owner of a token (administrators and the owner only).
Its permissions are clamped to the new owner's role: a full-access token
given to a viewer keeps only read permissions; a token left with nothing is
revoked.`,
			Example: "  tcctl token reassign \"CI deploy\" bob"},
		Complete: resource.Users.Complete(f),
		Run: func(cmd *cobra.Command, c *client.Client, t tc.Token, args []string) error {
			var v tc.Token
			if err := c.Do(cmd.Context(), http.MethodPost, r.ObjectPath(t.ID)+"/reassign", nil, tc.ReassignTokenRequest{UserID: args[1]}, &v); err != nil {
				return err
			}
			if !f.Output.Structured() {
				cmdutil.Successf(f.IOStreams, "Token %s now belongs to %s (state %s)", v.Description, v.Username, v.State)
			}
			return r.Print(cmd.Context(), f, v)
		},
	})
}
