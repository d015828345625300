package notify

import (
	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
)

func newCmdLog(f *cmdutil.Factory) *cobra.Command {
	return resource.NewListCmd(f, deliveries, resource.Help{Use: "log", Short: "Show the delivery log, newest first",
		Long: `Every attempt to deliver a notification, newest first: when, to which
receiver, for which rule and group, the attempt number and its outcome —
success, retry (failed, will be retried with backoff) or failed (given up, or
refused with a 4xx answer).`,
		Example: "  tcctl notify log\n  tcctl notify log --receiver ops-hook --since 24h\n  tcctl notify log --outcome failed -o json"})
}
