// Package agent holds `tcctl agent …`: the fleet as tcd sees it through
// heartbeats. One file per verb.
package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdAgent builds the `tcctl agent` noun and its verbs.
func NewCmdAgent(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent <command>",
		Short: "Inspect and manage the Telegraf agents that report to tcd",
		Long: `Agents appear when their outputs.heartbeat first reports and are identified by
its instance_id. Statuses: ok, warn, fail and undefined as the agent reports
them, and not_reporting once an agent is silent for longer than its reporting
rule allows. <agent> arguments are agent IDs.`,
		Example: `  tcctl agent list --status not_reporting
  tcctl agent summary
  tcctl agent get web-01
  tcctl agent set-rule web-01 slow-links`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(NewCmdList(f), NewCmdGet(f), NewCmdDelete(f), NewCmdSummary(f), NewCmdLogs(f), NewCmdHeartbeats(f), NewCmdSetRule(f))
	return cmd
}

// Ago renders a time as "2m ago" relative to now.
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return "never"
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

var statusColor = map[string]string{
	tc.StatusOK: "\x1b[32m", tc.StatusWarn: "\x1b[33m", tc.StatusFail: "\x1b[31m",
	tc.StatusNotReporting: "\x1b[31;1m", tc.StatusUndefined: "\x1b[90m",
}

// colorStatus colours a status on a terminal.
func colorStatus(ios *iostreams.IOStreams, s string) string {
	if !ios.IsStdoutTTY() {
		return s
	}
	if c, ok := statusColor[s]; ok {
		return c + s + "\x1b[0m"
	}
	return s
}

func printAgentTable(ios *iostreams.IOStreams, now time.Time, agents ...tc.Agent) error {
	t := cmdutil.NewTable(ios, "ID", "HOSTNAME", "STATUS", "LAST SEEN", "VERSION", "IP", "LABELS")
	for _, a := range agents {
		names := make([]string, len(a.Labels))
		for i, l := range a.Labels {
			names[i] = l.Name
		}
		seen := Ago(a.LastSeenAt, now)
		if !ios.IsStdoutTTY() {
			seen = cmdutil.Time(a.LastSeenAt)
		}
		t.Row(a.ID, a.Hostname, colorStatus(ios, a.Status), seen, a.VersionNumber, a.IP, strings.Join(names, ","))
	}
	return t.Flush()
}
