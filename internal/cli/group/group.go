// Package group holds `tcctl group …`: config groups, ordered lists of
// configurations served as one TOML document. One file per verb.
package group

import (
	"fmt"
	"strings"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// NewCmdGroup builds the `tcctl group` noun and its verbs.
func NewCmdGroup(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group <command>",
		Short: "Manage config groups (configurations served together, in order)",
		Long: `Manage config groups. A group is an ordered list of configurations; agents
fetch /api/config-groups/<id>/toml (or /c/<alias>) and get every member
rendered, in order, each section headed by a comment naming its source.
Query parameters apply to every member. <group> arguments take an ID,
alias or name; members are config IDs, aliases or names.`,
		Example: "  tcctl group create --name fleet --member base --member outputs\n  tcctl group render fleet --param agent_id=web-01",
		RunE:    cmdutil.GroupRunE,
	}
	cmd.AddCommand(NewCmdList(f), NewCmdGet(f), NewCmdCreate(f), NewCmdEdit(f), NewCmdDelete(f), NewCmdRender(f))
	return cmd
}

func printGroupTable(ios *iostreams.IOStreams, gs ...tc.ConfigGroup) error {
	t := cmdutil.NewTable(ios, "ID", "NAME", "MEMBERS", "ALIASES", "LABELS", "UPDATED")
	for _, g := range gs {
		names := make([]string, len(g.Labels))
		for i, l := range g.Labels {
			names[i] = l.Name
		}
		t.Row(g.ID, g.Name, fmt.Sprint(len(g.Members)), strings.Join(g.Aliases, ","), strings.Join(names, ","), cmdutil.Time(g.UpdatedAt))
	}
	return t.Flush()
}
