// Package group holds `tcctl group …`: config groups, ordered lists of
// configurations served as one TOML document.
package group

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

var fields = []resource.Field{
	{Flag: "name", JSON: "name", Usage: "group name (unique)", Required: true},
	{Flag: "description", JSON: "description", Usage: "description"},
	{Flag: "member", JSON: "members", Kind: resource.Strings, Usage: "member configuration in render order (ID, alias or name; on edit: replaces all members)", Complete: resource.CompleteConfigs},
	{Flag: "label", JSON: "labels", Kind: resource.Strings, CreateOnly: true, Usage: "label ID or name", Complete: resource.CompleteLabels},
}

// NewCmdGroup builds the `tcctl group` noun and its verbs.
func NewCmdGroup(f *cmdutil.Factory) *cobra.Command {
	r := *resource.Groups
	r.Detail = detail
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
	var noMembers bool
	cmd.AddCommand(
		resource.NewListCmd(f, &r, resource.Help{Short: "List config groups",
			Long:    "List config groups, optionally searched (name and description) and filtered by labels.",
			Example: "  tcctl group list\n  tcctl group list --label production -o json"}),
		resource.NewGetCmd(f, &r, resource.Help{Short: "Show one config group",
			Long:    "Show a config group by ID, alias or name with its members by name, in render order; -o json has their IDs. Exits with 3 if there is no such group.",
			Example: "  tcctl group get fleet\n  tcctl group get fleet -o json"}),
		resource.NewCreateCmd(f, &r, resource.WriteSpec{Fields: fields, Done: "Config group %s created",
			Help: resource.Help{Use: "create --name N [--member <config>]...", Short: "Create a config group",
				Long:    "Create a config group; --member (repeatable) adds configurations in render order, duplicates skipped. Prints the new group's ID.",
				Example: "  tcctl group create --name fleet --member base --member outputs --label production"}}),
		resource.NewEditCmd(f, &r, resource.WriteSpec{Fields: fields, Done: "Config group %s updated",
			Flags: func(cmd *cobra.Command) {
				cmd.Flags().BoolVar(&noMembers, "no-members", false, "remove every member")
				cmd.MarkFlagsMutuallyExclusive("member", "no-members")
			},
			Prepare: func(cmd *cobra.Command, body map[string]any) error {
				if noMembers {
					body["members"] = []string{}
				}
				return nil
			},
			Help: resource.Help{Short: "Change a config group's name, description or members",
				Long: `Change a config group. --member (repeatable) replaces the whole ordered
member list; --no-members empties it. A change of members or name moves the
group's Last-Modified, so watching agents reload.`,
				Example: "  tcctl group edit fleet --member outputs --member base\n  tcctl group edit fleet --name fleet-eu"}}),
		resource.NewDeleteCmd(f, &r, resource.DeleteSpec{Help: resource.Help{Short: "Delete config groups and their aliases (not their members)",
			Long:    "Delete config groups and their aliases; member configurations stay. Asks for confirmation on a terminal; elsewhere --yes is required.",
			Example: "  tcctl group delete fleet --yes"}}),
		cmdutil.NewRenderCmd(f, cmdutil.RenderSpec{
			Use:      "render <group>",
			Short:    "Print the TOML an agent would receive for a group",
			Long:     "Print a config group's rendered document exactly as tcd serves it: every member in order with a source comment, --param values applied to all members.",
			Example:  "  tcctl group render fleet --param agent_id=web-01",
			Complete: r.CompleteFirst(f),
			Render: func(ctx context.Context, c *client.Client, arg string, q url.Values) (client.Rendered, error) {
				g, err := r.Find(ctx, c, arg)
				if err != nil {
					return client.Rendered{}, err
				}
				return c.RenderGroup(ctx, g.ID, q)
			},
		}),
	)
	return cmd
}

// detail shows a group with its members by name, in render order.
func detail(ctx context.Context, f *cmdutil.Factory, g tc.ConfigGroup) error {
	names := map[string]string{}
	if c, err := f.Client(); err == nil && len(g.Members) > 0 {
		if all, err := resource.Configs.All(ctx, c, nil, nil); err == nil {
			for _, cfg := range all.Items {
				names[cfg.ID] = cfg.Name
			}
		}
	}
	members := make([]string, len(g.Members))
	for i, id := range g.Members {
		if n := names[id]; n != "" {
			members[i] = n
		} else {
			members[i] = id
		}
	}
	labels := make([]string, len(g.Labels))
	for i, l := range g.Labels {
		labels[i] = l.Name
	}
	return cmdutil.PrintFields(f.IOStreams, [][2]string{
		{"ID", g.ID},
		{"Name", g.Name},
		{"Description", g.Description},
		{"Members", strings.Join(members, ", ")},
		{"Aliases", strings.Join(g.Aliases, ", ")},
		{"Labels", strings.Join(labels, ", ")},
		{"Updated", fmt.Sprint(cmdutil.Time(g.UpdatedAt))},
	})
}
