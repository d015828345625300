package account

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// WhoamiOptions are the inputs of `tcctl whoami`.
type WhoamiOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format
}

// NewCmdWhoami builds `tcctl whoami`.
func NewCmdWhoami(f *cmdutil.Factory) *cobra.Command {
	opts := &WhoamiOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who the current credential belongs to",
		Long: `Show the user, role and kind of credential (session or API token) that
tcctl is using, as tcd sees it. With -o json or -o yaml the effective
permissions are included.`,
		Example: `  tcctl whoami
  TCCTL_TOKEN=tc-apiv1_… tcctl whoami -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			return whoamiRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func whoamiRun(ctx context.Context, opts *WhoamiOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	me, err := c.Me(ctx)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, me)
	}
	t := cmdutil.NewTable(opts.IO, "USERNAME", "ROLE", "CREDENTIAL", "EMAIL")
	t.Row(me.User.Username, string(me.User.Role), me.Credential, me.User.Email)
	return t.Flush()
}
