package advisory

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// agentsShown is how many affected agents advisory get lists.
const agentsShown = 100

// GetOptions are the inputs of `tcctl advisory get`.
type GetOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format
	ID     string
}

// NewCmdGet builds `tcctl advisory get`.
func NewCmdGet(f *cmdutil.Factory) *cobra.Command {
	opts := &GetOptions{IO: f.IOStreams, Client: f.Client}
	return &cobra.Command{
		Use:   "get <advisory>",
		Short: "Show an advisory, the agents it applies to and the version that fixes it",
		Long: `Show an advisory: severity, aliases, the affected Telegraf (or tcd) versions,
the versions that fix it, its details and references, its acknowledgement,
and the agents it applies to by version (the first 100 by ID; tcctl agent
list --advisory <advisory> lists them all). -o json prints the advisory
object, whose "versions" count the agents per reported version.`,
		Example: "  tcctl advisory get GHSA-xxxx-xxxx-xxxx\n  tcctl advisory get GHSA-xxxx-xxxx-xxxx -o json",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.ID = f.Output, args[0]
			return getRun(cmd.Context(), opts)
		},
	}
}

func getRun(ctx context.Context, opts *GetOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	a, err := c.GetAdvisory(ctx, opts.ID)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, a)
	}
	w := opts.IO.Out
	line := func(label, value string) { fmt.Fprintf(w, "%-15s %s\n", label+":", value) }
	line("ID", clean(a.ID, false))
	if len(a.Aliases) > 0 {
		line("Aliases", clean(strings.Join(a.Aliases, ", "), false))
	}
	sev := colorSeverity(opts.IO, a.Severity)
	for _, s := range a.Scores {
		sev += " (" + clean(s.Type+" "+s.Score, false) + ")"
	}
	line("Severity", sev)
	line("Summary", clean(a.Summary, false))
	if a.Published != nil {
		line("Published", cmdutil.Time(*a.Published))
	}
	if a.Modified != nil {
		line("Modified", cmdutil.Time(*a.Modified))
	}
	if a.Withdrawn != nil {
		line("Withdrawn", cmdutil.Time(*a.Withdrawn)+" (matches no agent)")
	}
	for _, p := range a.Affected {
		line("Affected", clean(p.Name, false)+" "+describeRanges(p))
	}
	fixed := strings.Join(a.Fixed, ", ")
	if fixed == "" {
		fixed = "no fixed version known"
	}
	line("Fixed in", clean(fixed, false))
	if a.TCDAffected {
		line("This tcd", "affected: upgrade tcd to a fixed version")
	}
	if k := a.Acknowledgement; k != nil {
		line("Acknowledged", fmt.Sprintf("%s by %s: %s", cmdutil.Time(k.At), clean(k.By, false), clean(k.Note, false)))
	}
	line("Source", clean(a.Source, false))
	if len(a.References) > 0 {
		fmt.Fprintln(w, "References:")
		for _, r := range a.References {
			fmt.Fprintf(w, "  %s\n", clean(r, false))
		}
	}
	if d := strings.TrimSpace(a.Details); d != "" {
		fmt.Fprintln(w, "Details:")
		for _, l := range strings.Split(clean(d, true), "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	fmt.Fprintf(w, "\nAgents affected: %d\n", a.AgentsAffected)
	if a.AgentsAffected == 0 {
		return nil
	}
	t := cmdutil.NewTable(w, "VERSION", "AGENTS", "FIXED IN")
	for _, v := range a.Versions {
		t.Row(clean(v.Version, false), fmt.Sprint(v.Agents), v.Fixed)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	agents, err := c.ListAgents(ctx, client.AgentFilter{Advisory: a.ID, Page: tc.Page{Limit: agentsShown}})
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	t = cmdutil.NewTable(w, "AGENT", "HOSTNAME", "STATUS", "VERSION")
	for _, ag := range agents.Items {
		t.Row(clean(ag.ID, false), clean(ag.Hostname, false), ag.Status, clean(ag.Version, false))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if agents.Total > len(agents.Items) {
		fmt.Fprintf(opts.IO.ErrOut, "… and %d more: tcctl agent list --advisory %s\n", agents.Total-len(agents.Items), a.ID)
	}
	return nil
}
