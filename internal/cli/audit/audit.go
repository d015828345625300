// Package audit holds `tcctl audit list|verify`.
package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdAudit builds the `tcctl audit` noun.
func NewCmdAudit(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit <command>",
		Short: "Read and verify the audit log",
		Long: `Every login, logout, failed login and API write is recorded with its actor,
credential, action, target, outcome, address and time in an append-only log
where each entry carries the SHA-256 of its content and of the entry before
it. Owners and administrators read it; "tcctl audit verify" recomputes the
chain and names the first entry that was changed, inserted or removed.`,
		Example: `  tcctl audit list --since 24h
  tcctl audit list --actor alice --outcome denied -o json
  tcctl audit verify`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(newCmdList(f), newCmdVerify(f))
	return cmd
}

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	var (
		filter client.AuditFilter
		since  time.Duration
	)
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List audit entries, newest first",
		Example: "  tcctl audit list --since 1h\n  tcctl audit list --action /api/users --limit 20",
		Aliases: []string{"ls"},
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if filter.Limit < 0 || filter.Limit > tc.MaxLimit {
				return cmdutil.FlagErrorf("--limit must be between 1 and %d", tc.MaxLimit)
			}
			if since > 0 {
				t := time.Now().Add(-since)
				filter.From = &t
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			l, err := c.ListAudit(cmd.Context(), filter)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, cmdutil.Items(l.Items))
			}
			if len(l.Items) == 0 {
				fmt.Fprintln(f.IOStreams.ErrOut, "No audit entries found")
				return nil
			}
			t := cmdutil.NewTable(f.IOStreams, "SEQ", "TIME", "ACTOR", "CREDENTIAL", "ACTION", "TARGET", "OUTCOME", "STATUS", "IP")
			for _, e := range l.Items {
				cred := e.Credential
				if e.TokenID != "" {
					cred += ":" + e.TokenID
				}
				t.Row(fmt.Sprint(e.Seq), cmdutil.Time(e.Time), e.Actor, cred, e.Action, e.Target, e.Outcome, fmt.Sprint(e.Status), e.IP)
			}
			return t.Flush()
		},
	}
	cmd.Flags().DurationVar(&since, "since", 0, "only entries newer than this (e.g. 24h)")
	cmd.Flags().StringVar(&filter.Actor, "actor", "", "only entries of this actor (username)")
	cmd.Flags().StringVar(&filter.Action, "action", "", "only actions containing this text (e.g. /api/tokens)")
	cmd.Flags().StringVar(&filter.Outcome, "outcome", "", "success, failure or denied")
	cmd.Flags().IntVar(&filter.Limit, "limit", 0, "maximum number of entries (default 100)")
	cmd.Flags().IntVar(&filter.Offset, "offset", 0, "number of entries to skip")
	return cmd
}

func newCmdVerify(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Recompute the audit chain and name the first broken entry",
		Long: `Read the whole audit log, oldest first, recompute every entry's hash and check
that each links to the one before it. Exits 0 when the chain is intact and 1,
naming the first broken entry, when it is not. Entries pruned by retention
simply start the chain later.`,
		Example: "  tcctl audit verify",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			var prev *tc.AuditEntry
			n := 0
			for {
				page, err := c.ListAudit(cmd.Context(), client.AuditFilter{Ascending: true, AfterSeq: seqOf(prev), Page: tc.Page{Limit: tc.MaxLimit}})
				if err != nil {
					return err
				}
				if bad, why := tc.VerifyAuditChain(page.Items, prev); bad != nil {
					return fmt.Errorf("audit chain broken at entry %d (%s %s by %s at %s): %s",
						bad.Seq, bad.Action, bad.Target, bad.Actor, bad.Time.Format(time.RFC3339), why)
				}
				n += len(page.Items)
				if len(page.Items) < tc.MaxLimit {
					break
				}
				last := page.Items[len(page.Items)-1]
				prev = &last
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, map[string]any{"ok": true, "entries": n})
			}
			fmt.Fprintf(f.IOStreams.Out, "ok: %d entr%s verified\n", n, strings.TrimPrefix(map[bool]string{true: "y", false: "ies"}[n == 1], ""))
			return nil
		},
	}
}

func seqOf(e *tc.AuditEntry) int64 {
	if e == nil {
		return 0
	}
	return e.Seq
}
