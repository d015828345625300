package cli

import (
	"github.com/opentc/tc/internal/cli/account"
	"github.com/opentc/tc/internal/cli/advisory"
	"github.com/opentc/tc/internal/cli/agent"
	"github.com/opentc/tc/internal/cli/alias"
	"github.com/opentc/tc/internal/cli/audit"
	"github.com/opentc/tc/internal/cli/cac"
	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/config"
	"github.com/opentc/tc/internal/cli/constant"
	"github.com/opentc/tc/internal/cli/contexts"
	"github.com/opentc/tc/internal/cli/group"
	"github.com/opentc/tc/internal/cli/label"
	"github.com/opentc/tc/internal/cli/notify"
	"github.com/opentc/tc/internal/cli/rollout"
	"github.com/opentc/tc/internal/cli/rule"
	"github.com/opentc/tc/internal/cli/secret"
	"github.com/opentc/tc/internal/cli/settings"
	"github.com/opentc/tc/internal/cli/token"
	"github.com/opentc/tc/internal/cli/user"
	"github.com/spf13/cobra"
)

const rootLong = `tcctl administers tcd, the Telegraf controller: users and roles, API
tokens, configurations, agents and settings.

Connection
  "tcctl login" saves the URL and the session in a named context of the
  configuration file (--config or TCCTL_CONFIG, default
  $XDG_CONFIG_HOME/tcctl/config.yaml, mode 0600); commands use the current
  context, or --context / TCCTL_CONTEXT (see "tcctl context").
  --url or TCCTL_URL selects another tcd: its own context's credential is
  used, never one saved for a different server. TCCTL_TOKEN, if set, is the
  credential. Tokens and passwords are never accepted as arguments.

Output
  stdout carries data only: tables by default, the API objects with
  -o json or -o yaml (an empty list prints []). Messages, prompts and
  errors go to stderr. Commands that ask questions on a terminal need
  flags (--password-stdin, --yes) in scripts.

Exit codes
  0  success
  1  error (including a declined confirmation, an unreachable server, or a
     server that is not tcd)
  2  usage error: unknown command, bad flag or argument, invalid -o value,
     or a value tcd refused naming the flag's field
  3  not found (for commands naming several objects: any of them)
  4  authentication (401), permission (403), or no credential for the URL`

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
		// --version prints what `tcctl version` prints.
		Version: currentVersion().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})

	pf := root.PersistentFlags()
	pf.StringVar(&f.URLFlag, "url", "", "tcd URL, e.g. http://localhost:8888 (env TCCTL_URL; default: the current context's URL)")
	pf.VarP(&f.Output, "output", "o", "output format: table, json or yaml")
	pf.StringVar(&f.CACertFlag, "ca-cert", "", "PEM certificate to trust for an https tcd, e.g. a self-signed one (env TCCTL_CA_CERT; remembered by login)")
	pf.StringVar(&f.ConfigFlag, "config", "", "configuration file holding the contexts (env TCCTL_CONFIG; default $XDG_CONFIG_HOME/tcctl/config.yaml)")
	pf.StringVar(&f.ContextFlag, "context", "", "context to use instead of the current one (env TCCTL_CONTEXT; see tcctl context list)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(cmdutil.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("context", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return contexts.CompleteNames(f), cobra.ShellCompDirectiveNoFileComp
	})

	root.AddCommand(
		account.NewCmdSetup(f),
		account.NewCmdLogin(f),
		account.NewCmdLogout(f),
		account.NewCmdWhoami(f),
		contexts.NewCmdContext(f),
		user.NewCmdUser(f),
		config.NewCmdConfig(f),
		constant.NewCmdConstant(f),
		secret.NewCmdSecret(f),
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
		cac.NewCmdExport(f),
		cac.NewCmdDiff(f),
		cac.NewCmdApply(f),
		rollout.NewCmdRollout(f),
		newCmdVersion(f),
		newCmdAPI(f),
		newCmdCompletion(f),
	)
	return root
}
