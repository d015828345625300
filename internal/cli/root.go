package cli

import (
	"github.com/opentc/tc/internal/cli/account"
	"github.com/opentc/tc/internal/cli/advisory"
	"github.com/opentc/tc/internal/cli/agent"
	"github.com/opentc/tc/internal/cli/alias"
	"github.com/opentc/tc/internal/cli/audit"
	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/config"
	"github.com/opentc/tc/internal/cli/constant"
	"github.com/opentc/tc/internal/cli/group"
	"github.com/opentc/tc/internal/cli/label"
	"github.com/opentc/tc/internal/cli/notify"
	"github.com/opentc/tc/internal/cli/rule"
	"github.com/opentc/tc/internal/cli/settings"
	"github.com/opentc/tc/internal/cli/token"
	"github.com/opentc/tc/internal/cli/user"
	"github.com/spf13/cobra"
)

const rootLong = `tcctl administers tcd, the Telegraf controller: users and roles, API
tokens, configurations, agents and settings.

Connection
  --url or TCCTL_URL selects tcd; otherwise the URL saved by "tcctl login".
  The credential is TCCTL_TOKEN if set, otherwise the session saved by
  "tcctl login" in the profile (--config or TCCTL_CONFIG, default
  $XDG_CONFIG_HOME/tcctl/config.yaml, mode 0600). Tokens and passwords are
  never accepted as command-line arguments.

Output
  stdout carries data only: tables by default, the API objects with
  -o json or -o yaml (an empty list prints []). Messages, prompts and
  errors go to stderr. Commands that ask questions on a terminal need
  flags (--password-stdin, --yes) in scripts.

Exit codes
  0  success
  1  error (including a declined confirmation)
  2  usage error: unknown command, bad flag or argument, invalid -o value
  3  not found
  4  authentication (401) or permission (403) error`

// NewCmdRoot builds the tcctl command tree on f. The global flags are bound
// to f, which the commands read when they run.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "tcctl <command>",
		Short: "Admin CLI for tcd, the Telegraf controller",
		Long:  rootLong,
		Example: `  tcctl setup --url http://localhost:8888
  tcctl login --url http://tcd.example.com:8888
  tcctl user list -o json
  TCCTL_URL=http://tcd:8888 TCCTL_TOKEN=tc-apiv1_… tcctl whoami`,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE:          cmdutil.GroupRunE,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})

	pf := root.PersistentFlags()
	pf.StringVar(&f.URLFlag, "url", "", "tcd URL, e.g. http://localhost:8888 (env TCCTL_URL; default: the profile's URL)")
	pf.VarP(&f.Output, "output", "o", "output format: table, json or yaml")
	pf.StringVar(&f.CACertFlag, "ca-cert", "", "PEM certificate to trust for an https tcd, e.g. a self-signed one (env TCCTL_CA_CERT; remembered by login)")
	pf.StringVar(&f.ConfigFlag, "config", "", "profile file (env TCCTL_CONFIG; default $XDG_CONFIG_HOME/tcctl/config.yaml)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(cmdutil.Formats, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(
		account.NewCmdSetup(f),
		account.NewCmdLogin(f),
		account.NewCmdLogout(f),
		account.NewCmdWhoami(f),
		user.NewCmdUser(f),
		config.NewCmdConfig(f),
		constant.NewCmdConstant(f),
		group.NewCmdGroup(f),
		alias.NewCmdAlias(f),
		label.NewCmdLabel(f),
		token.NewCmdToken(f),
		agent.NewCmdAgent(f),
		advisory.NewCmdAdvisory(f),
		rule.NewCmdRule(f),
		settings.NewCmdSettings(f),
		audit.NewCmdAudit(f),
		notify.NewCmdNotify(f),
		newCmdVersion(f),
		newCmdCompletion(f),
	)
	return root
}
