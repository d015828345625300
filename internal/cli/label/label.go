// Package label holds `tcctl label …`: labels and their assignment to
// configurations and config groups. One file per verb.
package label

import (
	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// NewCmdLabel builds the `tcctl label` noun and its verbs.
func NewCmdLabel(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "label <command>",
		Short: "Manage labels and assign them to configurations and config groups",
		Long: `Manage labels: a unique name (1–100 characters), a description (at most
500) and a color (#rrggbb). Deleting a label removes it everywhere.
<label> arguments take an ID or a name.`,
		Example: "  tcctl label create --name production --color '#3b82f6'\n  tcctl label assign production --configs web,db\n  tcctl label list",
		RunE:    cmdutil.GroupRunE,
	}
	cmd.AddCommand(NewCmdList(f), NewCmdCreate(f), NewCmdEdit(f), NewCmdDelete(f), NewCmdAssign(f, true), NewCmdAssign(f, false))
	return cmd
}

func printLabelTable(ios *iostreams.IOStreams, ls ...tc.Label) error {
	t := cmdutil.NewTable(ios, "ID", "NAME", "COLOR", "DESCRIPTION")
	for _, l := range ls {
		t.Row(l.ID, l.Name, l.Color, l.Description)
	}
	return t.Flush()
}
