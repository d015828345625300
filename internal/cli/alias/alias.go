// Package alias holds `tcctl alias …`: short names for configurations and
// config groups, served at /c/<alias>. One file per verb.
package alias

import (
	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdAlias builds the `tcctl alias` noun and its verbs.
func NewCmdAlias(f *cmdutil.Factory) *cobra.Command {
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
	cmd.AddCommand(NewCmdAdd(f), NewCmdRemove(f))
	return cmd
}
