// Package rule holds `tcctl rule …`: reporting rules, which decide when an
// agent counts as not reporting and when it is deleted. One file per verb
// group.
package rule

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdRule builds the `tcctl rule` noun and its verbs.
func NewCmdRule(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rule <command>",
		Short: "Manage reporting rules (when agents count as not reporting)",
		Long: `A reporting rule says after how long without a heartbeat an agent is
not_reporting, and optionally after how long it is deleted. New agents get
the default rule; one default always exists (180 s, never deleted, on first
start). Deleting a rule moves its agents to the default. <rule> arguments
take an ID or a name.`,
		Example: `  tcctl rule list
  tcctl rule create --name slow-links --not-reporting-after 15m --auto-delete-after 30d
  tcctl rule set-default slow-links`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(newCmdList(f), newCmdGet(f), newCmdCreate(f), newCmdEdit(f), newCmdDelete(f), newCmdSetDefault(f))
	return cmd
}

func seconds(s *int64) string {
	if s == nil {
		return "never"
	}
	return (time.Duration(*s) * time.Second).String()
}

func printRules(ios *iostreams.IOStreams, rules ...tc.ReportingRule) error {
	t := cmdutil.NewTable(ios, "ID", "NAME", "NOT REPORTING AFTER", "AUTO-DELETE AFTER", "DEFAULT", "AGENTS")
	for _, r := range rules {
		def := ""
		if r.IsDefault {
			def = "yes"
		}
		t.Row(r.ID, r.Name, seconds(&r.NotReportingAfter), seconds(r.AutoDeleteAfter), def, fmt.Sprint(r.Agents))
	}
	return t.Flush()
}

func printOne(f *cmdutil.Factory, r tc.ReportingRule) error {
	if f.Output.Structured() {
		return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, r)
	}
	return printRules(f.IOStreams, r)
}

// durationFlag parses 90s, 15m, 2h, 30d or 2w into whole seconds.
func durationFlag(name, v string) (int64, error) {
	d, err := tc.ParseExpiresIn(v)
	if err != nil || d%time.Second != 0 {
		return 0, cmdutil.FlagErrorf("--%s %q is not a duration such as 90s, 15m, 2h, 30d or 2w", name, v)
	}
	return int64(d / time.Second), nil
}
