package cli

import (
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

func newCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	shells := []string{"bash", "zsh", "fish", "powershell"}
	return &cobra.Command{
		Use:   "completion <bash|zsh|fish|powershell>",
		Short: "Print a shell completion script",
		Long: `Print the completion script for a shell. Besides commands and flags it
completes the names of what arguments and flags refer to — users, configs,
groups, labels, agents, tokens, reporting rules, constants, aliases,
invites, contexts — by asking tcd with the current credential (nothing is
offered when there is none or tcd is unreachable).

  bash        source <(tcctl completion bash)
              or save it to /etc/bash_completion.d/tcctl. Needs the
              bash-completion package (apt install bash-completion;
              brew install bash-completion@2) loaded by your shell.
  zsh         tcctl completion zsh > "${fpath[1]}/_tcctl"
  fish        tcctl completion fish > ~/.config/fish/completions/tcctl.fish
  powershell  tcctl completion powershell | Out-String | Invoke-Expression`,
		Example:   "  source <(tcctl completion bash)",
		ValidArgs: shells,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.ExactArgs(1)(cmd, args); err != nil {
				return err
			}
			if err := cobra.OnlyValidArgs(cmd, args); err != nil {
				return &cmdutil.FlagError{Err: fmt.Errorf("unsupported shell %q: use bash, zsh, fish or powershell", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), f.IOStreams.Out
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(out)
			}
		},
	}
}
