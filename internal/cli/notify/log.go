package notify

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

func printLog(w io.Writer, ds ...tc.NotifyDelivery) error {
	t := cmdutil.NewTable(w, "TIME", "RECEIVER", "RULE", "EVENT", "STATUS", "GROUP", "ATTEMPT", "OUTCOME", "HTTP", "ERROR")
	for _, d := range ds {
		status := ""
		if d.HTTPStatus != 0 {
			status = fmt.Sprint(d.HTTPStatus)
		}
		t.Row(cmdutil.Time(d.Time), d.Receiver, orDash(d.Rule), d.Event, d.Status, orDash(d.Group), fmt.Sprint(d.Attempt), d.Outcome, orDash(status), orDash(d.Error))
	}
	return t.Flush()
}

func newCmdLog(f *cmdutil.Factory) *cobra.Command {
	var (
		filter client.NotifyLogFilter
		since  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "log [--receiver R] [--since 24h]",
		Short: "Show the delivery log, newest first",
		Long: `Every attempt to deliver a notification, newest first: when, to which
receiver, for which rule and group, the attempt number and its outcome —
success, retry (failed, will be retried with backoff) or failed (given up, or
refused with a 4xx answer).`,
		Example: "  tcctl notify log\n  tcctl notify log --receiver ops-hook --since 24h\n  tcctl notify log --outcome failed -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if since < 0 {
				return cmdutil.FlagErrorf("--since must be positive")
			}
			if since > 0 {
				filter.Since = time.Now().Add(-since)
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			l, err := c.NotifyLog(cmd.Context(), filter)
			if err != nil {
				return err
			}
			return cmdutil.PrintList(f.IOStreams, f.Output, l, "delivery attempts", func(items ...tc.NotifyDelivery) error {
				return printLog(f.IOStreams.Out, items...)
			})
		},
	}
	cmd.Flags().StringVar(&filter.Receiver, "receiver", "", "only this receiver (ID or name)")
	cmd.Flags().DurationVar(&since, "since", 0, "only attempts newer than this (e.g. 24h)")
	cmd.Flags().StringVar(&filter.Outcome, "outcome", "", "success, retry or failed")
	cmd.Flags().IntVar(&filter.Limit, "limit", 0, "most entries (default 100)")
	cmd.Flags().IntVar(&filter.Offset, "offset", 0, "entries to skip")
	return cmd
}
