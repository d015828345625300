package agent

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// ListOptions are the inputs of `tcctl agent list` and `agent summary`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format
	Now    func() time.Time

	Filter client.AgentFilter
	Order  string
}

func addFilterFlags(cmd *cobra.Command, opts *ListOptions) {
	cmd.Flags().StringVar(&opts.Filter.Status, "status", "", "only agents with this status: "+strings.Join(tc.AgentStatuses, ", "))
	cmd.Flags().StringVar(&opts.Filter.Label, "label", "", "only agents with this label (ID or name)")
	cmd.Flags().StringVar(&opts.Filter.Search, "search", "", "only agents whose ID, hostname or IP contains this text")
	cmd.Flags().StringVar(&opts.Filter.Config, "config", "", "only agents using this config or config group (ID or alias)")
	cmd.Flags().StringVar(&opts.Filter.ReportingRule, "rule", "", "only agents on this reporting rule (ID or name)")
	cmd.Flags().BoolVar(&opts.Filter.Exposed, "exposed", false, "only agents to which an unacknowledged security advisory applies (see tcctl advisory)")
	cmd.Flags().StringVar(&opts.Filter.Severity, "severity", "", "only agents exposed to an advisory of at least this severity (implies --exposed): "+strings.Join(tc.Severities, ", "))
	cmd.Flags().StringVar(&opts.Filter.Advisory, "advisory", "", "only agents this advisory (ID) applies to")
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(tc.AgentStatuses, cobra.ShellCompDirectiveNoFileComp))
}

// NewCmdList builds `tcctl agent list`.
func NewCmdList(f *cmdutil.Factory) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List agents",
		Long: `List agents with their status and when they last reported. On a terminal
statuses are coloured and last-seen times relative ("2m ago"); in a pipe
times are RFC 3339. Filters combine; results are paged (--limit, --offset).`,
		Example: `  tcctl agent list
  tcctl agent list --status not_reporting --label prod
  tcctl agent list --search web --sort lastSeenAt --order desc -o json
  tcctl agent list --exposed --severity high`,
		Aliases: []string{"ls"},
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			switch strings.ToLower(opts.Order) {
			case "asc", "":
			case "desc":
				opts.Filter.Desc = true
			default:
				return cmdutil.FlagErrorf("--order must be asc or desc")
			}
			if opts.Filter.Limit < 0 || opts.Filter.Limit > tc.MaxLimit {
				return cmdutil.FlagErrorf("--limit must be between 1 and %d", tc.MaxLimit)
			}
			if opts.Filter.Offset < 0 {
				return cmdutil.FlagErrorf("--offset must not be negative")
			}
			return listRun(cmd.Context(), opts)
		},
	}
	addFilterFlags(cmd, opts)
	cmd.Flags().StringVar(&opts.Filter.Sort, "sort", "", "sort by id, hostname, status, lastSeenAt, createdAt, version or ip")
	cmd.Flags().StringVar(&opts.Order, "order", "asc", "asc or desc")
	cmd.Flags().IntVar(&opts.Filter.Limit, "limit", 0, "maximum number of agents to return (default 100)")
	cmd.Flags().IntVar(&opts.Filter.Offset, "offset", 0, "number of agents to skip")
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	list, err := c.ListAgents(ctx, opts.Filter)
	if err != nil {
		return err
	}
	return cmdutil.PrintList(opts.IO, opts.Format, list, "agents", func(items ...tc.Agent) error { return printAgentTable(opts.IO.Out, opts.IO, opts.Now(), items...) })
}

// NewCmdSummary builds `tcctl agent summary`.
func NewCmdSummary(f *cmdutil.Factory) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "summary",
		Short: "Summarise the fleet: statuses, versions, last reported",
		Long:  "Count agents by status, by Telegraf version, and by how long ago they last reported. The filters of agent list apply.",
		Example: `  tcctl agent summary
  tcctl agent summary --label prod -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			c, err := opts.Client()
			if err != nil {
				return err
			}
			s, err := c.AgentSummary(cmd.Context(), opts.Filter)
			if err != nil {
				return err
			}
			if opts.Format.Structured() {
				return cmdutil.PrintStructured(opts.IO.Out, opts.Format, s)
			}
			w := opts.IO.Out
			fmt.Fprintf(w, "Agents: %d\n\n", s.Total)
			t := cmdutil.NewTable(w, "STATUS", "AGENTS")
			for _, st := range tc.AgentStatuses {
				t.Row(colorStatus(opts.IO, st), fmt.Sprint(s.Status[st]))
			}
			if err := t.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(w)
			t = cmdutil.NewTable(w, "VERSION", "AGENTS")
			for _, v := range s.Versions {
				name := "unknown"
				if v.Version != nil {
					name = *v.Version
				}
				t.Row(name, fmt.Sprint(v.Count))
			}
			if err := t.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(w)
			t = cmdutil.NewTable(w, "LAST REPORTED", "AGENTS")
			for _, b := range []struct{ key, label string }{{"lt5m", "< 5 min"}, {"lt30m", "< 30 min"}, {"lt1h", "< 1 h"}, {"lt12h", "< 12 h"}, {"lt24h", "< 24 h"}, {"older", "older"}} {
				t.Row(b.label, fmt.Sprint(s.LastReported[b.key]))
			}
			return t.Flush()
		},
	}
	addFilterFlags(cmd, opts)
	return cmd
}
