// Package alias holds `tcctl alias …`: short names for configurations and
// config groups, served at /c/<alias>.
package alias

import (
	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
)

// NewCmdAlias builds the `tcctl alias` noun and its verbs.
func NewCmdAlias(f *cmdutil.Factory) *cobra.Command {
	r := resource.Aliases
	cmd := &cobra.Command{
		Use:   "alias <command>",
		Short: "Manage aliases of configurations and config groups (/c/<alias>)",
		Long: `Manage aliases. An alias names one configuration or config group; agents
can fetch it at /c/<alias> (and anywhere a config or group ID is accepted).
Rules: 3–63 characters of a-z, 0-9 and '-', beginning and ending with a
letter or digit; not bulk, duplicate or many; not shaped like a UUID.
Configs and groups share one namespace.`,
		Example: "  tcctl alias add web-prod web\n  tcctl alias add web-prod fleet --group --transfer\n  tcctl alias remove web-prod --yes",
		RunE:    cmdutil.GroupRunE,
	}
	cmd.AddCommand(
		resource.NewListCmd(f, r, resource.Help{Short: "List aliases and what they name", Example: "  tcctl alias list\n  tcctl alias list -o json"}),
		NewCmdAdd(f),
		resource.NewDeleteCmd(f, r, resource.DeleteSpec{Warning: "Agents using them will get 404.",
			Help: resource.Help{Use: "remove <alias>...", Aliases: []string{"delete"}, Short: "Delete aliases",
				Long:    "Delete aliases. Agents fetching /c/<alias> get 404 afterwards. Asks for confirmation on a terminal; elsewhere --yes is required.",
				Example: "  tcctl alias remove web-prod --yes"}}),
	)
	return cmd
}
