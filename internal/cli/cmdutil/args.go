package cmdutil

import (
	"strings"

	"github.com/spf13/cobra"
)

// NoArgs refuses positional arguments with a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("%q takes no arguments (got %q)", cmd.CommandPath(), strings.Join(args, " "))
	}
	return nil
}

// ExactArgs wants exactly n positional arguments, named in the command's
// Use line (e.g. "get <id|username>").
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		want := ""
		if _, rest, ok := strings.Cut(cmd.Use, " "); ok {
			want = " " + rest
		}
		if len(args) < n {
			return FlagErrorf("missing argument: usage: %s%s", cmd.CommandPath(), want)
		}
		return FlagErrorf("too many arguments: usage: %s%s", cmd.CommandPath(), want)
	}
}

// GroupRunE is the RunE of a noun such as `tcctl user`: without arguments it
// shows help; with an unknown verb it is a usage error (cobra alone would
// print help and exit 0, which hides typos in scripts).
func GroupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return cmd.Help()
}
