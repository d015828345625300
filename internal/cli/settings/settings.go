// Package settings holds `tcctl settings get|set`.
package settings

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdSettings builds the `tcctl settings` noun.
func NewCmdSettings(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "settings <command>",
		Short: "Read and change tcd's runtime settings",
		Long: `Runtime settings (owner and administrators): login lockout, password
complexity, session lifetime, the public API and heartbeat URLs that
"tcctl config use" prints, and audit log retention. Changes apply at once.`,
		Example: `  tcctl settings get
  tcctl settings set passwordComplexity=high loginLockoutAttempts=3
  tcctl settings set publicApiUrl=https://tcd.example.com heartbeatUrl=https://tcd.example.com:8000`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(newCmdGet(f), newCmdSet(f))
	return cmd
}

func print(f *cmdutil.Factory, s tc.Settings) error {
	if f.Output.Structured() {
		return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, s)
	}
	var m map[string]any
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, &m)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t := cmdutil.NewTable(f.IOStreams, "SETTING", "VALUE")
	for _, k := range keys {
		t.Row(k, fmt.Sprint(m[k]))
	}
	return t.Flush()
}

func newCmdGet(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get",
		Short:   "Show the settings",
		Example: "  tcctl settings get\n  tcctl settings get -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			s, err := c.Settings(cmd.Context())
			if err != nil {
				return err
			}
			return print(f, s)
		},
	}
}

var intKeys = map[string]bool{"loginLockoutAttempts": true, "loginLockoutMinutes": true, "sessionLifetimeMinutes": true, "auditRetentionHours": true}
var strKeys = map[string]bool{"passwordComplexity": true, "publicApiUrl": true, "heartbeatUrl": true}

func newCmdSet(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "set <key>=<value>...",
		Short: "Change settings",
		Long: `Change one or more settings, given as key=value with the JSON names shown by
"tcctl settings get": loginLockoutAttempts, loginLockoutMinutes,
passwordComplexity (low, medium, high), sessionLifetimeMinutes, publicApiUrl,
heartbeatUrl (empty = derived from requests), auditRetentionHours (720, 2160,
4320, 8760, 17520 or 0 = forever). Nothing is changed unless every value is valid.`,
		Example: "  tcctl settings set passwordComplexity=medium\n  tcctl settings set publicApiUrl=",
		Args:    cobra.MinimumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, keys := range []map[string]bool{intKeys, strKeys} {
				for k := range keys {
					out = append(out, k+"=")
				}
			}
			sort.Strings(out)
			return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			patch := map[string]any{}
			for _, a := range args {
				k, v, ok := strings.Cut(a, "=")
				switch {
				case !ok:
					return cmdutil.FlagErrorf("%q is not key=value", a)
				case intKeys[k]:
					n, err := strconv.Atoi(v)
					if err != nil {
						return cmdutil.FlagErrorf("%s must be a whole number (got %q)", k, v)
					}
					patch[k] = n
				case strKeys[k]:
					patch[k] = v
				default:
					return cmdutil.FlagErrorf("unknown setting %q (see tcctl settings get)", k)
				}
			}
			var req tc.SettingsPatch
			b, _ := json.Marshal(patch)
			if err := json.Unmarshal(b, &req); err != nil {
				return err
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			s, err := c.UpdateSettings(cmd.Context(), req)
			if err != nil {
				return err
			}
			cmdutil.Successf(f.IOStreams, "Settings updated")
			return print(f, s)
		},
	}
}
