package advisory

import (
	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdAck builds `tcctl advisory ack`.
func NewCmdAck(f *cmdutil.Factory) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "ack <advisory>",
		Short: "Acknowledge an advisory: it needs no action here",
		Long: `Acknowledge an advisory, with a note saying why it needs no action (at most
500 characters; required). It then leaves advisory list (but not --all),
agent list --exposed, agent get and the tcd_agents_exposed metric; tcd
records who acknowledged it and when, and the audit log records the
request. Acknowledging again replaces the note; tcctl advisory unack
undoes it. Needs advisories:write.`,
		Example: `  tcctl advisory ack GHSA-xxxx-xxxx-xxxx --note "inputs.example is not used in any config"`,
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if note == "" {
				return cmdutil.FlagErrorf("--note is required: say why this advisory needs no action")
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			a, err := c.AcknowledgeAdvisory(cmd.Context(), args[0], note)
			return printAck(f, a, err, "Advisory %s acknowledged")
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why the advisory needs no action (required)")
	return cmd
}

// NewCmdUnack builds `tcctl advisory unack`.
func NewCmdUnack(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "unack <advisory>",
		Short:   "Withdraw an advisory's acknowledgement",
		Long:    "Withdraw an acknowledgement: the advisory is back in the default views. Needs advisories:write.",
		Example: "  tcctl advisory unack GHSA-xxxx-xxxx-xxxx",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			a, err := c.UnacknowledgeAdvisory(cmd.Context(), args[0])
			return printAck(f, a, err, "Acknowledgement of %s withdrawn")
		},
	}
}

func printAck(f *cmdutil.Factory, a tc.Advisory, err error, done string) error {
	if err != nil {
		return err
	}
	if f.Output.Structured() {
		return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, a)
	}
	cmdutil.Successf(f.IOStreams, done, clean(a.ID, false))
	return nil
}
