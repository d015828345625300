// Package contexts holds `tcctl context …`: the named contexts of the
// configuration file, each a tcd URL with the credential that tcd issued.
package contexts

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/profile"
)

// NewCmdContext builds the `tcctl context` noun and its verbs.
func NewCmdContext(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "context <command>",
		Aliases: []string{"contexts"},
		Short:   "Switch between tcd servers and accounts (named contexts)",
		Long: `A context is a tcd URL with the session or API token that tcd issued, saved
by "tcctl login", "tcctl setup" or "tcctl user accept-invite" in the
configuration file (--config / TCCTL_CONFIG, mode 0600). Commands use the
current context, or the one named by --context or TCCTL_CONTEXT.

A credential is only ever sent to the URL it was issued by: with --url or
TCCTL_URL naming another server, tcctl uses the context saved for that URL
(if there is exactly one, or the current one) and otherwise sends nothing
and asks you to log in there. TCCTL_TOKEN, when set, is sent to whatever
URL is used.

Files written by earlier tcctl versions (one url and token) are read as one
context, named after the URL's host:port.`,
		Example: `  tcctl context list
  tcctl context use staging
  tcctl --context prod agent list
  tcctl context rename localhost:8888 dev
  tcctl context delete old --yes`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(newCmdList(f), newCmdCurrent(f), newCmdUse(f), newCmdRename(f), newCmdDelete(f))
	return cmd
}

// contextView is a context as `context list -o json` prints it: never the
// credential itself.
type contextView struct {
	Name       string `json:"name"`
	URL        string `json:"url"`
	Username   string `json:"username,omitempty"`
	Credential string `json:"credential"`
	Current    bool   `json:"current"`
}

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the saved contexts",
		Long:    "List the saved contexts: name, URL, user and kind of credential (session, token or none); the current one is marked with *. Credentials are never printed.",
		Example: "  tcctl context list\n  tcctl context list -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := f.Contexts()
			if err != nil {
				return err
			}
			views := make([]contextView, len(file.Contexts))
			for i, c := range file.Contexts {
				views[i] = contextView{Name: c.Name, URL: c.URL, Username: c.Username, Credential: c.Credential(), Current: c.Name == file.CurrentContext}
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, views)
			}
			if len(views) == 0 {
				cmdutil.Notef(f.IOStreams, "No contexts saved: log in with tcctl login --url http://HOST:8888")
				return nil
			}
			t := cmdutil.NewTable(f.IOStreams, "CURRENT", "NAME", "URL", "USER", "CREDENTIAL")
			for _, v := range views {
				cur := " "
				if v.Current {
					cur = "*"
				}
				t.Row(cur, v.Name, v.URL, v.Username, v.Credential)
			}
			return t.Flush()
		},
	}
}

func newCmdCurrent(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "current",
		Short:   "Print the name of the current context",
		Example: "  tcctl context current",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := f.Contexts()
			if err != nil {
				return err
			}
			if file.Current() == nil {
				return &cmdutil.NotFoundError{Kind: "current context", Names: []string{"none is set (tcctl context use NAME)"}}
			}
			_, err = fmt.Fprintln(f.IOStreams.Out, cmdutil.Safe(file.CurrentContext))
			return err
		},
	}
}

func newCmdUse(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "use <context>",
		Short:             "Make a context the current one",
		Example:           "  tcctl context use staging",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: completeContexts(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := lookup(f, args[0])
			if err != nil {
				return err
			}
			file.CurrentContext = args[0]
			if err := f.SaveContexts(file); err != nil {
				return err
			}
			c := file.Get(args[0])
			cmdutil.Successf(f.IOStreams, "Switched to context %s (%s as %s)", c.Name, c.URL, c.Username)
			return nil
		},
	}
}

func newCmdRename(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "rename <context> <new-name>",
		Short:             "Rename a context",
		Example:           "  tcctl context rename localhost:8888 dev",
		Args:              cmdutil.ExactArgs(2),
		ValidArgsFunction: completeContexts(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := lookup(f, args[0])
			if err != nil {
				return err
			}
			if args[1] == "" {
				return cmdutil.FlagErrorf("the new name must not be empty")
			}
			if err := file.Rename(args[0], args[1]); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			if err := f.SaveContexts(file); err != nil {
				return err
			}
			cmdutil.Successf(f.IOStreams, "Context %s renamed to %s", args[0], args[1])
			return nil
		},
	}
}

func newCmdDelete(f *cmdutil.Factory) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:     "delete <context>",
		Aliases: []string{"rm"},
		Short:   "Forget a context and its credential",
		Long: `Remove a context and the credential saved in it from the configuration
file. The session is not ended on tcd: run "tcctl logout --context NAME"
first for that. Asks on a terminal; elsewhere --yes is required.`,
		Example:           "  tcctl context delete old --yes",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: completeContexts(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := lookup(f, args[0])
			if err != nil {
				return err
			}
			if err := cmdutil.Confirm(cmd.Context(), f.IOStreams, yes, fmt.Sprintf("Forget context %s and its credential?", args[0])); err != nil {
				return err
			}
			file.Delete(args[0])
			if err := f.SaveContexts(file); err != nil {
				return err
			}
			cmdutil.Successf(f.IOStreams, "Context %s deleted", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func lookup(f *cmdutil.Factory, name string) (*profile.File, error) {
	file, err := f.Contexts()
	if err != nil {
		return nil, err
	}
	if file.Get(name) == nil {
		return nil, &cmdutil.NotFoundError{Kind: "context", Names: []string{name}}
	}
	return file, nil
}

// completeContexts completes the first argument with context names, from
// the local file only.
func completeContexts(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return CompleteNames(f), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteNames lists the context names with their URLs as descriptions.
func CompleteNames(f *cmdutil.Factory) []cobra.Completion {
	file, err := f.Contexts()
	if err != nil {
		return nil
	}
	out := make([]cobra.Completion, 0, len(file.Contexts))
	for _, c := range file.Contexts {
		out = append(out, cobra.CompletionWithDesc(c.Name, c.URL))
	}
	return out
}
