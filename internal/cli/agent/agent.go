// Package agent holds `tcctl agent …`: the fleet as tcd sees it through
// heartbeats.
package agent

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdAgent builds the `tcctl agent` noun and its verbs.
func NewCmdAgent(f *cmdutil.Factory) *cobra.Command {
	r := *resource.Agents
	r.Detail = detail
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
  tcctl agent set-rule slow-links web-01`,
		RunE: cmdutil.GroupRunE,
	}
	list := resource.NewListCmd(f, &r, resource.Help{Short: "List agents",
		Long: `List agents with their status and when they last reported. On a terminal
statuses are coloured and last-seen times relative ("2m ago"); in a pipe
times are RFC 3339. Filters combine (all must hold); --status takes several
statuses (any), -l/--label several labels (all). A filter naming a label,
rule or config that does not exist matches nothing (a note says so).`,
		Example: `  tcctl agent list
  tcctl agent list --status not_reporting,fail -l prod -l eu
  tcctl agent list --configuration linux-base --rule slow-links
  tcctl agent list --config-state stale
  tcctl agent list --search web --sort lastSeenAt --desc -o json`})
	// --order asc|desc was the agents' own way to sort; --desc is everyone's.
	var order string
	list.Flags().StringVar(&order, "order", "", "asc or desc")
	_ = list.Flags().MarkDeprecated("order", "use --desc")
	run := list.RunE
	list.RunE = func(cmd *cobra.Command, args []string) error {
		switch strings.ToLower(order) {
		case "", "asc":
		case "desc":
			_ = cmd.Flags().Set("desc", "true")
		default:
			return cmdutil.FlagErrorf("--order must be asc or desc")
		}
		return run(cmd, args)
	}
	cmd.AddCommand(
		list,
		resource.NewGetCmd(f, &r, resource.Help{Use: "get <agent>", Short: "Show one agent",
			Long:    "Show an agent: status, versions, address, reporting rule, labels, its configurations (managed by this tcd or external), the statistics of its latest heartbeat, and who runs what: its derived config state and the config versions tcd served it (when it fetches with ?agent_id=).",
			Example: "  tcctl agent get web-01\n  tcctl agent get web-01 -o json"}),
		resource.NewDeleteCmd(f, &r, resource.DeleteSpec{Warning: "A running agent reappears with its next heartbeat.",
			Bulk: func(ctx context.Context, c *client.Client, ids []string) (tc.BulkResult, error) {
				return bulk(ctx, f, c, http.MethodPost, "/api/agents/bulk/delete", ids, func(chunk []string) any { return tc.IDsRequest{IDs: chunk} })
			},
			Help: resource.Help{Short: "Delete agents from the inventory",
				Long: `Delete agent records. The Telegraf processes are not touched: an agent that
is still running reappears with its next heartbeat. Any number of agents is
deleted in requests of at most 1,000; "-" reads IDs from stdin. Asks on a
terminal; elsewhere --yes is required. Agents that do not exist are named
and tcctl exits 3.`,
				Example: "  tcctl agent delete old-01 old-02 --yes"}}),
		newCmdSummary(f, &r), newCmdLogs(f), newCmdHeartbeats(f), newCmdSetRule(f),
	)
	return cmd
}

// bulk sends a bulk agent request per 1,000 IDs and reports what changed.
func bulk(ctx context.Context, f *cmdutil.Factory, c *client.Client, method, path string, ids []string, body func(chunk []string) any) (tc.BulkResult, error) {
	return resource.Chunked(ctx, f.IOStreams, "agents", ids, func(ctx context.Context, chunk []string) (tc.BulkResult, error) {
		var out tc.BulkResult
		err := c.Do(ctx, method, path, nil, body(chunk), &out)
		return out, err
	})
}

// report prints a bulk result (-o json|yaml: the result; else a line on a
// terminal) and returns the not-found error, if any.
func report(f *cmdutil.Factory, res tc.BulkResult, done string) error {
	if f.Output.Structured() {
		if err := cmdutil.PrintStructured(f.IOStreams.Out, f.Output, res); err != nil {
			return err
		}
	} else {
		cmdutil.Reportf(f.IOStreams, len(res.NotFound) > 0, done, cmdutil.Thousands(res.Changed))
	}
	return resource.Agents.Missing(res.NotFound)
}

func detail(ctx context.Context, f *cmdutil.Factory, a tc.Agent) error {
	rule := a.ReportingRuleID
	if c, err := f.Client(); err == nil {
		if r, err := resource.Rules.Get(ctx, c, a.ReportingRuleID); err == nil {
			rule = r.Name
		}
	}
	status := cmdutil.Safe(a.Status)
	if f.IOStreams.ColorEnabled() && resource.StatusColor(a.Status) != "" {
		status = resource.StatusColor(a.Status) + status + "\x1b[0m"
	}
	fields := [][2]string{
		{"ID", a.ID},
		{"Hostname", a.Hostname},
		{"Status", ""}, // written below, coloured
		{"Last seen", fmt.Sprintf("%s (%s)", cmdutil.Time(a.LastSeenAt), resource.Ago(a.LastSeenAt, time.Now()))},
		{"First seen", cmdutil.Time(a.CreatedAt)},
		{"Version", a.Version},
		{"IP", a.IP},
		{"Reporting rule", rule},
		{"Heartbeats", fmt.Sprint(a.Heartbeats)},
	}
	if a.Statistics != nil {
		fields = append(fields, [2]string{"Latest", fmt.Sprintf("%d errors, %d warnings, %d metrics", a.Statistics.Errors, a.Statistics.Warnings, a.Statistics.Metrics)})
	}
	names := make([]string, len(a.Labels))
	for i, l := range a.Labels {
		names[i] = l.Name
	}
	fields = append(fields, [2]string{"Labels", strings.Join(names, ", ")})
	for _, c := range a.Configurations {
		kind := "external"
		if c.Managed {
			kind = "managed"
		}
		fields = append(fields, [2]string{"Configuration", kind + " " + c.URL})
	}
	if len(a.Configurations) == 0 {
		fields = append(fields, [2]string{"Configuration", ""})
	}
	// The status line carries tcctl's own colour around the escaped value.
	reported := cmdutil.Safe(a.ReportedStatus)
	if a.ReportedStatusRaw != "" {
		reported = cmdutil.Safe(fmt.Sprintf("%q, a status tcd does not know", a.ReportedStatusRaw))
	}
	out := strings.Replace(cmdutil.Fields(fields), "Status:          -\n", "Status:          "+status+" (reported "+reported+")\n", 1)
	if _, err := fmt.Fprint(f.IOStreams.Out, out); err != nil {
		return err
	}
	printServed(f, a)
	printAdvisories(f.IOStreams.Out, a.Advisories)
	return nil
}

// printServed shows who runs what: the derived state and the versions
// served under the agent's identity.
func printServed(f *cmdutil.Factory, a tc.Agent) {
	ios := f.IOStreams
	if a.ConfigState == "" {
		return
	}
	fmt.Fprintf(ios.Out, "Config state:    %s\n", cmdutil.Safe(a.ConfigState))
	if len(a.Served) == 0 {
		fmt.Fprintln(ios.Out, "Served:          nothing under its identity (fetch with ?agent_id=<its heartbeat id> to record it)")
		return
	}
	fmt.Fprintln(ios.Out, "\nServed versions:")
	t := cmdutil.NewTable(ios, "CONFIG", "VERSION", "EXPECTED", "FETCHED", "POLLED", "RELOADED", "LAST-MODIFIED")
	for _, s := range a.Served {
		ver := fmt.Sprint(s.Version)
		if s.Kind == "group" {
			ver = "group"
		}
		if s.Latest {
			ver += " *"
		}
		t.Row(s.TargetName, ver, fmt.Sprint(s.Expected), timeOrDash(s.LastFetched), timeOrDash(s.LastPolled), yesNo(s.Reloaded), cmdutil.Time(s.LastModified))
	}
	_ = t.Flush()
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return cmdutil.Time(*t)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func newCmdSummary(f *cmdutil.Factory, r *resource.Resource[tc.Agent]) *cobra.Command {
	opts := resource.NewListOptions()
	cmd := &cobra.Command{
		Use:   "summary",
		Short: "Summarise the fleet: statuses, versions, last reported",
		Long:  "Count agents by status, by Telegraf version, and by how long ago they last reported. The filters of agent list apply.",
		Example: `  tcctl agent summary
  tcctl agent summary --label prod -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			q, nothing, err := resource.Query(cmd.Context(), f, c, r, opts)
			if err != nil {
				return err
			}
			var s tc.AgentSummary
			if !nothing {
				if err := c.Do(cmd.Context(), http.MethodGet, "/api/agents/summary", q, nil, &s); err != nil {
					return err
				}
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, s)
			}
			return printSummary(f, s)
		},
	}
	resource.AddFilterFlags(cmd, f, r, opts)
	return cmd
}

func printSummary(f *cmdutil.Factory, s tc.AgentSummary) error {
	ios := f.IOStreams
	fmt.Fprintf(ios.Out, "Agents: %s\n\n", cmdutil.Thousands(s.Total))
	t := cmdutil.NewTable(ios, "STATUS", "AGENTS").Style(0, resource.StatusColor)
	for _, st := range tc.AgentStatuses {
		t.Row(st, cmdutil.Thousands(s.Status[st]))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(ios.Out)
	t = cmdutil.NewTable(ios, "VERSION", "AGENTS")
	for _, v := range s.Versions {
		name := "unknown"
		if v.Version != nil {
			name = *v.Version
		}
		t.Row(name, cmdutil.Thousands(v.Count))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(ios.Out)
	t = cmdutil.NewTable(ios, "LAST REPORTED", "AGENTS")
	for _, b := range []struct{ key, label string }{{"lt5m", "< 5 min"}, {"lt30m", "< 30 min"}, {"lt1h", "< 1 h"}, {"lt12h", "< 12 h"}, {"lt24h", "< 24 h"}, {"older", "older"}} {
		t.Row(b.label, cmdutil.Thousands(s.LastReported[b.key]))
	}
	return t.Flush()
}

func newCmdLogs(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "logs <agent>",
		Short: "Show the log entries of an agent's latest heartbeat",
		Long: `Show the log events the agent sent with its latest heartbeat that included
logs (outputs.heartbeat include = ["logs"]). tcd keeps at most 200 entries
(64 KiB), preferring the most severe and then the most recent. Control
characters in messages are shown escaped (\x1b); -o json has them as sent.`,
		Example:           "  tcctl agent logs web-01\n  tcctl agent logs web-01 -o json",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Agents.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			l, err := c.AgentLogs(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, l)
			}
			if len(l.Entries) == 0 {
				cmdutil.Notef(f.IOStreams, "No log entries")
				return nil
			}
			t := cmdutil.NewTable(f.IOStreams, "TIME", "LEVEL", "SOURCE", "MESSAGE")
			for _, e := range l.Entries {
				t.Row(cmdutil.Time(e.Time), e.Level, e.Source, e.Message)
			}
			if err := t.Flush(); err != nil {
				return err
			}
			if l.Reported > l.Stored {
				cmdutil.Notef(f.IOStreams, "%d of %d reported entries kept", l.Stored, l.Reported)
			}
			return nil
		},
	}
}

func newCmdHeartbeats(f *cmdutil.Factory) *cobra.Command {
	var since time.Duration
	var limit int
	cmd := &cobra.Command{
		Use:   "heartbeats <agent>",
		Short: "Show an agent's recent heartbeat statistics, per minute",
		Long: `Show an agent's statistics history, oldest first, kept for 24 hours: one row per
minute in which the agent sent heartbeats (the bucket's start and end), with how
many heartbeats it sent and the sums of the errors, warnings and metrics they
counted. Telegraf counts these since its previous heartbeat, so the sums over
all rows are everything the agent reported; with a heartbeat interval under a
minute, a row holds several heartbeats.`,
		Example:           "  tcctl agent heartbeats web-01 --since 1h\n  tcctl agent heartbeats web-01 --limit 60 -o json",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Agents.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 0 || limit > 5000 {
				return cmdutil.FlagErrorf("--limit must be between 1 and 5000")
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			var from *time.Time
			if since > 0 {
				t := time.Now().Add(-since)
				from = &t
			}
			l, err := c.AgentHeartbeats(cmd.Context(), args[0], from, nil, limit)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, cmdutil.Items(l.Items))
			}
			if len(l.Items) == 0 {
				cmdutil.Notef(f.IOStreams, "No heartbeats recorded")
				return nil
			}
			t := cmdutil.NewTable(f.IOStreams, "START", "END", "HEARTBEATS", "ERRORS", "WARNINGS", "METRICS")
			for _, h := range l.Items {
				t.Row(cmdutil.Time(h.Start), cmdutil.Time(h.End), fmt.Sprint(h.Heartbeats), fmt.Sprint(h.Errors), fmt.Sprint(h.Warnings), fmt.Sprint(h.Metrics))
			}
			return t.Flush()
		},
	}
	cmd.Flags().Var(cmdutil.NewDuration(&since, 0), "since", "only minutes newer than this (e.g. 1h or 1d)")
	cmd.Flags().IntVar(&limit, "limit", 0, "most recent minutes to show (default 200, at most 5000)")
	return cmd
}

func newCmdSetRule(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "set-rule <rule> <agent>...",
		Short: "Assign a reporting rule to agents",
		Long: `Assign a reporting rule (ID or name) to one or more agents ("-" reads agent
IDs from stdin); it decides when they count as not reporting and when they
are deleted. Agents that do not exist are named and tcctl exits 3.`,
		Example: "  tcctl agent set-rule slow-links edge-01 edge-02",
		Args:    cobra.MinimumNArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return resource.Rules.Complete(f)(cmd, args, toComplete)
			}
			return resource.Agents.Complete(f)(cmd, args, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := f.Client()
			if err != nil {
				return err
			}
			rule, err := resource.Rules.Find(ctx, c, args[0])
			if err != nil {
				return err
			}
			ids, err := resource.ExpandStdin(f.IOStreams, args[1:])
			if err != nil {
				return err
			}
			res, err := bulk(ctx, f, c, http.MethodPut, "/api/agents/bulk/reporting-rule", ids, func(chunk []string) any {
				return tc.AgentRuleRequest{IDs: chunk, RuleID: rule.ID}
			})
			if err != nil {
				return err
			}
			return report(f, res, "Reporting rule "+cmdutil.Safe(rule.Name)+" assigned to %s agent(s)")
		},
	}
}
