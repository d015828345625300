// Package label holds `tcctl label …`: labels and their assignment to
// configurations, config groups and agents.
package label

import (
	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
)

var fields = []resource.Field{
	{Flag: "name", JSON: "name", Usage: "label name (unique, 1–100 characters)", Required: true},
	{Flag: "color", JSON: "color", Usage: "color as #rrggbb"},
	{Flag: "description", JSON: "description", Usage: "description (at most 500 characters)"},
}

// NewCmdLabel builds the `tcctl label` noun and its verbs.
func NewCmdLabel(f *cmdutil.Factory) *cobra.Command {
	r := resource.Labels
	cmd := &cobra.Command{
		Use:   "label <command>",
		Short: "Manage labels and assign them to configurations, config groups and agents",
		Long: `Manage labels: a unique name (1–100 characters), a description (at most
500) and a color (#rrggbb). Deleting a label removes it everywhere.
<label> arguments take an ID or a name. A label must exist before it is
assigned or used in a filter: create it with "tcctl label create".`,
		Example: "  tcctl label create --name production --color '#3b82f6'\n  tcctl label assign production --configs web,db\n  tcctl label list",
		RunE:    cmdutil.GroupRunE,
	}
	cmd.AddCommand(
		resource.NewListCmd(f, r, resource.Help{Short: "List labels",
			Long:    "List labels sorted by name, optionally searched on name and description.",
			Example: "  tcctl label list\n  tcctl label list --search prod -o json"}),
		resource.NewGetCmd(f, r, resource.Help{Short: "Show one label", Example: "  tcctl label get production -o json"}),
		resource.NewCreateCmd(f, r, resource.WriteSpec{Fields: fields, Done: "Label %s created",
			Help: resource.Help{Short: "Create a label", Long: "Create a label with a unique name. Prints the new label's ID.",
				Example: "  tcctl label create --name production --color '#3b82f6' --description 'Production fleet'\n  tcctl label create --name edge\n  tcctl label create --name staging --description 'pre-production'"}}),
		resource.NewEditCmd(f, r, resource.WriteSpec{Fields: fields, Done: "Label %s updated",
			Help: resource.Help{Short: "Change a label", Long: "Change a label's name, color or description. A name another label has is refused.",
				Example: "  tcctl label edit production --color '#ef4444'"}}),
		resource.NewDeleteCmd(f, r, resource.DeleteSpec{Warning: "It is removed from every config, group and agent.",
			Help: resource.Help{Short: "Delete labels everywhere",
				Long:    "Delete labels and remove them from every configuration, group and agent. Asks for confirmation on a terminal; elsewhere --yes is required.",
				Example: "  tcctl label delete staging --yes"}}),
		NewCmdAssign(f, true), NewCmdAssign(f, false),
	)
	return cmd
}
