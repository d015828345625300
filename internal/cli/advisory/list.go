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

// ListOptions are the inputs of `tcctl advisory list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format
	Filter client.AdvisoryFilter
}

// NewCmdList builds `tcctl advisory list`.
func NewCmdList(f *cmdutil.Factory) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List advisories and how many agents each applies to",
		Long: `List the imported advisories with their severity, the number of agents whose
version they affect, and the versions that fix them: those that apply to
agents first, then by severity. Acknowledged and withdrawn advisories are
left out unless --all. --severity keeps advisories of at least that
severity (critical > high > medium > low > unknown).`,
		Example: `  tcctl advisory list
  tcctl advisory list --severity high
  tcctl advisory list --all -o json`,
		Aliases: []string{"ls"},
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Filter.Limit < 0 || opts.Filter.Limit > tc.MaxLimit || opts.Filter.Offset < 0 {
				return cmdutil.FlagErrorf("--limit must be between 1 and %d and --offset not negative", tc.MaxLimit)
			}
			if opts.Filter.Severity != "" && !tc.ValidSeverity(opts.Filter.Severity) {
				return cmdutil.FlagErrorf("--severity must be one of %s", strings.Join(tc.Severities, ", "))
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Filter.All, "all", false, "include acknowledged and withdrawn advisories")
	cmd.Flags().StringVar(&opts.Filter.Severity, "severity", "", "only advisories of at least this severity: "+strings.Join(tc.Severities, ", "))
	cmd.Flags().IntVar(&opts.Filter.Limit, "limit", 0, "maximum number of advisories to return (default 100)")
	cmd.Flags().IntVar(&opts.Filter.Offset, "offset", 0, "number of advisories to skip")
	_ = cmd.RegisterFlagCompletionFunc("severity", cobra.FixedCompletions(tc.Severities, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	list, err := c.ListAdvisories(ctx, opts.Filter)
	if err != nil {
		return err
	}
	return cmdutil.PrintList(opts.IO, opts.Format, list, "advisories", func(items ...tc.Advisory) error {
		header := []string{"ID", "SEVERITY", "AGENTS", "FIXED IN", "SUMMARY"}
		if opts.Filter.All {
			header = append(header, "STATE")
		}
		t := cmdutil.NewTable(opts.IO.Out, header...)
		for _, a := range items {
			summary := clean(a.Summary, false)
			if r := []rune(summary); len(r) > 80 && opts.IO.IsStdoutTTY() {
				summary = string(r[:79]) + "…"
			}
			row := []string{clean(a.ID, false), colorSeverity(opts.IO, a.Severity), fmt.Sprint(a.AgentsAffected),
				clean(strings.Join(a.Fixed, ", "), false), summary}
			if opts.Filter.All {
				row = append(row, state(a))
			}
			t.Row(row...)
		}
		return t.Flush()
	})
}
