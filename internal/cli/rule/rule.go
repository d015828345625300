// Package rule holds `tcctl rule …`: reporting rules, which decide when an
// agent counts as not reporting and when it is deleted.
package rule

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

var fields = []resource.Field{
	{Flag: "name", JSON: "name", Usage: "unique name", Required: true},
	{Flag: "description", JSON: "description", Usage: "what the rule is for"},
	{Flag: "not-reporting-after", JSON: "notReportingAfter", Kind: resource.Seconds, Required: true, Usage: "silence after which an agent is not_reporting (e.g. 3m)"},
	{Flag: "auto-delete-after", JSON: "autoDeleteAfter", Kind: resource.Seconds, Usage: "silence after which an agent is deleted (e.g. 30d)"},
	{Flag: "default", JSON: "isDefault", Kind: resource.Bool, CreateOnly: true, Usage: "make it the default rule for new agents"},
}

// NewCmdRule builds the `tcctl rule` noun and its verbs.
func NewCmdRule(f *cmdutil.Factory) *cobra.Command {
	r := resource.Rules
	cmd := &cobra.Command{
		Use:   "rule <command>",
		Short: "Manage reporting rules (when agents count as not reporting)",
		Long: `A reporting rule says after how long without a heartbeat an agent is
not_reporting, and optionally after how long it is deleted. New agents get
the default rule; one default always exists (180 s, never deleted, on first
start). Deleting a rule moves its agents to the default. <rule> arguments
take an ID or a name; durations take s, m, h, d and w (90s, 15m, 30d).`,
		Example: `  tcctl rule list
  tcctl rule create --name slow-links --not-reporting-after 15m --auto-delete-after 30d
  tcctl rule set-default slow-links`,
		RunE: cmdutil.GroupRunE,
	}
	var noAutoDelete bool
	cmd.AddCommand(
		resource.NewListCmd(f, r, resource.Help{Short: "List reporting rules", Example: "  tcctl rule list\n  tcctl rule list -o json"}),
		resource.NewGetCmd(f, r, resource.Help{Short: "Show one reporting rule", Example: "  tcctl rule get default"}),
		resource.NewCreateCmd(f, r, resource.WriteSpec{Fields: fields, Done: "Reporting rule %s created",
			Help: resource.Help{Short: "Create a reporting rule", Long: "Create a reporting rule. Prints the new rule's ID.",
				Example: "  tcctl rule create --name slow-links --not-reporting-after 15m\n  tcctl rule create --name ephemeral --not-reporting-after 2m --auto-delete-after 1h --default"}}),
		resource.NewEditCmd(f, r, resource.WriteSpec{Fields: fields, Done: "Reporting rule %s updated",
			Flags: func(cmd *cobra.Command) {
				cmd.Flags().BoolVar(&noAutoDelete, "no-auto-delete", false, "never delete agents on this rule")
				cmd.MarkFlagsMutuallyExclusive("auto-delete-after", "no-auto-delete")
			},
			Prepare: func(cmd *cobra.Command, body map[string]any) error {
				if noAutoDelete {
					body["autoDeleteAfter"] = 0
				}
				return nil
			},
			Help: resource.Help{Short: "Change a reporting rule", Long: "Change a rule's name, description or thresholds; flags not given stay as they are.",
				Example: "  tcctl rule edit slow-links --not-reporting-after 30m --no-auto-delete"}}),
		resource.NewDeleteCmd(f, r, resource.DeleteSpec{
			Delete: func(ctx context.Context, c *client.Client, ids []string) (int, error) {
				moved := 0
				for _, id := range ids {
					var out struct {
						MovedAgents int `json:"movedAgents"`
					}
					if err := c.Do(ctx, http.MethodDelete, r.ObjectPath(id), nil, nil, &out); err != nil {
						return moved, err
					}
					moved += out.MovedAgents
				}
				cmdutil.Successf(f.IOStreams, "%d agent(s) moved to the default rule", moved)
				return moved, nil
			},
			Help: resource.Help{Short: "Delete reporting rules (their agents move to the default)",
				Long: `Delete rules; their agents move to the default rule. The default rule cannot
be deleted: make another rule the default first. Asks on a terminal;
elsewhere --yes is required.`,
				Example: "  tcctl rule delete slow-links --yes"}}),
		newCmdSetDefault(f),
	)
	return cmd
}

func newCmdSetDefault(f *cmdutil.Factory) *cobra.Command {
	r := resource.Rules
	return resource.NewObjectCmd(f, r, resource.ObjectSpec[tc.ReportingRule]{
		Help: resource.Help{Use: "set-default <rule>", Short: "Make a reporting rule the default for new agents", Example: "  tcctl rule set-default slow-links"},
		Run: func(cmd *cobra.Command, c *client.Client, cur tc.ReportingRule, args []string) error {
			var v tc.ReportingRule
			if err := c.Do(cmd.Context(), http.MethodPost, r.ObjectPath(cur.ID)+"/default", nil, nil, &v); err != nil {
				return err
			}
			cmdutil.Successf(f.IOStreams, "%s is now the default reporting rule", v.Name)
			return r.Print(cmd.Context(), f, v)
		},
	})
}
