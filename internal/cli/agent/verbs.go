package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdGet builds `tcctl agent get`.
func NewCmdGet(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get <agent>",
		Short:   "Show one agent",
		Long:    "Show an agent: status, versions, address, reporting rule, labels, its configurations (managed by this tcd or external) and the statistics of its latest heartbeat.",
		Example: "  tcctl agent get web-01\n  tcctl agent get web-01 -o json",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			a, err := c.GetAgent(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, a)
			}
			ios := f.IOStreams
			w := ios.Out
			now := time.Now()
			fmt.Fprintf(w, "ID:              %s\n", a.ID)
			fmt.Fprintf(w, "Hostname:        %s\n", dash(a.Hostname))
			reported := a.ReportedStatus
			if a.ReportedStatusRaw != "" {
				reported = fmt.Sprintf("%q, a status tcd does not know", a.ReportedStatusRaw)
			}
			fmt.Fprintf(w, "Status:          %s (reported %s)\n", colorStatus(ios, a.Status), reported)
			fmt.Fprintf(w, "Last seen:       %s (%s)\n", cmdutil.Time(a.LastSeenAt), Ago(a.LastSeenAt, now))
			fmt.Fprintf(w, "First seen:      %s\n", cmdutil.Time(a.CreatedAt))
			fmt.Fprintf(w, "Version:         %s\n", dash(a.Version))
			fmt.Fprintf(w, "IP:              %s\n", dash(a.IP))
			fmt.Fprintf(w, "Reporting rule:  %s\n", a.ReportingRuleID)
			fmt.Fprintf(w, "Heartbeats:      %d\n", a.Heartbeats)
			if a.Statistics != nil {
				fmt.Fprintf(w, "Latest:          %d errors, %d warnings, %d metrics\n", a.Statistics.Errors, a.Statistics.Warnings, a.Statistics.Metrics)
			}
			names := make([]string, len(a.Labels))
			for i, l := range a.Labels {
				names[i] = l.Name
			}
			fmt.Fprintf(w, "Labels:          %s\n", dash(strings.Join(names, ", ")))
			fmt.Fprintln(w, "Configurations:")
			if len(a.Configurations) == 0 {
				fmt.Fprintln(w, "  -")
			}
			for _, c := range a.Configurations {
				kind := "external"
				if c.Managed {
					kind = "managed"
				}
				fmt.Fprintf(w, "  %-8s %s\n", kind, c.URL)
			}
			printAdvisories(w, a.Advisories)
			return nil
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// NewCmdDelete builds `tcctl agent delete`.
func NewCmdDelete(f *cmdutil.Factory) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete <agent>...",
		Short: "Delete agents from the inventory",
		Long: `Delete agent records. The Telegraf processes are not touched: an agent that
is still running reappears with its next heartbeat. Asks on a terminal;
elsewhere --yes is required.`,
		Example: "  tcctl agent delete old-01 old-02 --yes",
		Aliases: []string{"rm"},
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			if err := cmdutil.Confirm(cmd.Context(), f.IOStreams, yes, fmt.Sprintf("Delete %d agent(s)?", len(args))); err != nil {
				return err
			}
			if len(args) == 1 {
				if err := c.DeleteAgent(cmd.Context(), args[0]); err != nil {
					return err
				}
				cmdutil.Successf(f.IOStreams, "Agent %s deleted", args[0])
				return nil
			}
			res, err := c.DeleteAgents(cmd.Context(), args)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, res)
			}
			cmdutil.Successf(f.IOStreams, "%d agent(s) deleted", res.Changed)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// NewCmdLogs builds `tcctl agent logs`.
func NewCmdLogs(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "logs <agent>",
		Short: "Show the log entries of an agent's latest heartbeat",
		Long: `Show the log events the agent sent with its latest heartbeat that included
logs (outputs.heartbeat include = ["logs"]). tcd keeps at most 200 entries
(64 KiB), preferring the most severe and then the most recent.`,
		Example: "  tcctl agent logs web-01\n  tcctl agent logs web-01 -o json",
		Args:    cmdutil.ExactArgs(1),
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
				fmt.Fprintln(f.IOStreams.ErrOut, "No log entries")
				return nil
			}
			t := cmdutil.NewTable(f.IOStreams.Out, "TIME", "LEVEL", "SOURCE", "MESSAGE")
			for _, e := range l.Entries {
				t.Row(cmdutil.Time(e.Time), e.Level, e.Source, e.Message)
			}
			if err := t.Flush(); err != nil {
				return err
			}
			if l.Reported > l.Stored {
				fmt.Fprintf(f.IOStreams.ErrOut, "%d of %d reported entries kept\n", l.Stored, l.Reported)
			}
			return nil
		},
	}
}

// NewCmdHeartbeats builds `tcctl agent heartbeats`.
func NewCmdHeartbeats(f *cmdutil.Factory) *cobra.Command {
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
		Example: "  tcctl agent heartbeats web-01 --since 1h\n  tcctl agent heartbeats web-01 --limit 60 -o json",
		Args:    cmdutil.ExactArgs(1),
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
				fmt.Fprintln(f.IOStreams.ErrOut, "No heartbeats recorded")
				return nil
			}
			t := cmdutil.NewTable(f.IOStreams.Out, "START", "END", "HEARTBEATS", "ERRORS", "WARNINGS", "METRICS")
			for _, h := range l.Items {
				t.Row(cmdutil.Time(h.Start), cmdutil.Time(h.End), fmt.Sprint(h.Heartbeats), fmt.Sprint(h.Errors), fmt.Sprint(h.Warnings), fmt.Sprint(h.Metrics))
			}
			return t.Flush()
		},
	}
	cmd.Flags().DurationVar(&since, "since", 0, "only minutes newer than this (e.g. 1h)")
	cmd.Flags().IntVar(&limit, "limit", 0, "most recent minutes to show (default 200, at most 5000)")
	return cmd
}

// NewCmdSetRule builds `tcctl agent set-rule`.
func NewCmdSetRule(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "set-rule <rule> <agent>...",
		Short:   "Assign a reporting rule to agents",
		Long:    "Assign a reporting rule (ID or name) to one or more agents; it decides when they count as not reporting and when they are deleted.",
		Example: "  tcctl agent set-rule slow-links edge-01 edge-02",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			res, err := c.SetAgentsRule(cmd.Context(), args[1:], args[0])
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, res)
			}
			if res.Changed == 0 {
				return tc.Errorf(tc.ENotFound, "no such agent: %s", strings.Join(args[1:], ", "))
			}
			cmdutil.Successf(f.IOStreams, "Reporting rule %s assigned to %d agent(s)", args[0], res.Changed)
			return nil
		},
	}
}
