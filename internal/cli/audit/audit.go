// Package audit holds `tcctl audit list|verify`.
package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
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
		Example: `  tcctl audit list --since 7d
  tcctl audit list --actor alice --outcome denied -o json
  tcctl audit verify`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(newCmdList(f), newCmdVerify(f))
	return cmd
}

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return resource.NewListCmd(f, resource.AuditEntries, resource.Help{Short: "List audit entries, newest first",
		Long:    "List audit entries, newest first (--sort seq or time for oldest first, with --desc newest first). Actors, targets and addresses are shown with control characters escaped.",
		Example: "  tcctl audit list --since 1h\n  tcctl audit list --since 7d --outcome denied\n  tcctl audit list --action /api/users --limit 20"})
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
						bad.Seq, cmdutil.Safe(bad.Action), cmdutil.Safe(bad.Target), cmdutil.Safe(bad.Actor), bad.Time.Format(time.RFC3339), why)
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
