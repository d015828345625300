// Package token holds `tcctl token …`: creating, listing, revoking,
// deleting and reassigning API tokens. One file per verb.
package token

import (
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdToken builds the `tcctl token` noun and its verbs.
func NewCmdToken(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token <command>",
		Short: "Manage API tokens for agents, CI pipelines and scripts",
		Long: `Manage API tokens (tc-apiv1_…). A token acts for the user who owns it and
never exceeds that user's role: its effective permissions are its own
permissions within the owner's current role. The raw value is shown once,
by "tcctl token create"; tcd keeps only its SHA-256.

Managers manage their own tokens; administrators and the owner manage
everybody's and may reassign them. Permissions are resource:action pairs
(e.g. configs:read, heartbeat:write); presets: telegraf-agent (configs:read
+ heartbeat:write), ci (configs:read, configs:write, labels:read),
read-only and full-access (of what you hold).`,
		Example: `  T=$(tcctl token create --description "web fleet" --preset telegraf-agent)
  tcctl token list
  tcctl token revoke 5f0c…`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(NewCmdCreate(f), NewCmdList(f), NewCmdGet(f), NewCmdRevoke(f), NewCmdDelete(f), NewCmdReassign(f))
	return cmd
}

// printTokenTable prints tokens as the table shared by the verbs.
func printTokenTable(w io.Writer, toks ...tc.Token) error {
	t := cmdutil.NewTable(w, "ID", "DESCRIPTION", "OWNER", "CREATED BY", "STATE", "SOURCE", "HINT", "PERMISSIONS", "EXPIRES", "LAST USED")
	for _, k := range toks {
		owner := k.Username
		if owner == "" {
			owner = k.UserID
		}
		// The creator stays when a token is reassigned; "-" for tokens
		// from OWNER_TOKEN or created before tcd recorded it.
		creator := k.CreatedByUsername
		if creator == "" {
			creator = k.CreatedBy
		}
		if creator == "" {
			creator = "-"
		}
		t.Row(k.ID, k.Description, owner, creator, k.State, k.Source, "…"+k.Hint, strings.Join(k.Permissions, ","), timePtr(k.ExpiresAt, "never"), timePtr(k.LastUsedAt, "never"))
	}
	return t.Flush()
}

func timePtr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return cmdutil.Time(*t)
}
