package config

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdHistory builds `tcctl config history`.
func NewCmdHistory(f *cmdutil.Factory) *cobra.Command {
	return resource.NewObjectCmd(f, resource.Configs, resource.ObjectSpec[tc.Config]{
		Help: resource.Help{Use: "history <config>", Aliases: []string{"versions"}, Short: "List the versions of a configuration",
			Long:    "List the versions of a configuration, newest first, with author, time and note; the current one is marked. -o json includes each version's TOML.",
			Example: "  tcctl config history web\n  tcctl config history web -o json"},
		Run: func(cmd *cobra.Command, c *client.Client, cfg tc.Config, args []string) error {
			vs, err := c.ConfigVersions(cmd.Context(), cfg.ID)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, cmdutil.Items(vs))
			}
			t := cmdutil.NewTable(f.IOStreams, "VERSION", "CURRENT", "AUTHOR", "CREATED", "NOTE")
			for _, v := range vs {
				cur := ""
				if v.Current {
					cur = "*"
				}
				by := v.Author
				if v.TokenID != "" {
					by += " (token " + cmdutil.TokenLabel(v.TokenID, v.TokenDescription) + ")"
				}
				t.Row(fmt.Sprint(v.Version), cur, by, cmdutil.Time(v.CreatedAt), v.Note)
			}
			return t.Flush()
		},
	})
}
