// Package audit holds `tcctl audit list|verify`.
package audit

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
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
	var head string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify the keyed audit chain and name the first bad entry",
		Long: `Have tcd verify the whole audit log with its key (the entries' hashes are
HMAC-SHA-256 with a key that is not in the database): every entry's hash, every
link to the entry before, and no gap from the oldest entry (or from the point
retention pruned up to, which tcd records). With --head SEQ:HASH — a head tcd
logged earlier ("audit chain head" lines, at start, every minute when it moved
and at shutdown) — it also checks that the log still reaches that head, so
entries removed from the end are found. Exits 0 when the chain verifies and 1,
naming the first bad sequence number, when it does not. Needs an owner or
administrator.`,
		Example: "  tcctl audit verify\n  tcctl audit verify --head 1042:5be2…c19a   # from tcd's log: audit chain head head=1042:5be2…",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			rep, err := c.VerifyAudit(cmd.Context(), head)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				if err := cmdutil.PrintStructured(f.IOStreams.Out, f.Output, rep); err != nil {
					return err
				}
			} else if rep.OK {
				fmt.Fprintf(f.IOStreams.Out, "ok: %d entr%s verified (%d to %d", rep.Entries, map[bool]string{true: "y", false: "ies"}[rep.Entries == 1], rep.First, rep.Head.Seq)
				if rep.PrunedThrough > 0 {
					fmt.Fprintf(f.IOStreams.Out, "; pruned by retention up to %d", rep.PrunedThrough)
				}
				fmt.Fprintf(f.IOStreams.Out, "); head %d:%s\n", rep.Head.Seq, rep.Head.Hash)
				if rep.CheckedHead != nil {
					fmt.Fprintf(f.IOStreams.Out, "the log reaches head %d:%s\n", rep.CheckedHead.Seq, rep.CheckedHead.Hash)
				}
				if rep.Note != "" {
					fmt.Fprintln(f.IOStreams.Out, "note: "+cmdutil.Safe(rep.Note))
				}
			}
			if !rep.OK {
				return fmt.Errorf("audit chain broken at entry %d: %s", rep.FirstBadSeq, cmdutil.Safe(rep.Reason))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&head, "head", "", "a head tcd logged earlier, SEQ:HASH, that the log must still reach")
	return cmd
}
