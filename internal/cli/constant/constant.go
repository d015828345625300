// Package constant holds `tcctl constant …`: global values that
// configurations reference as ::{name}. One file per verb.
package constant

import (
	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdConstant builds the `tcctl constant` noun and its verbs.
func NewCmdConstant(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "constant <command>",
		Short: "Manage global constants (::{name} in configurations)",
		Long: `Manage global constants. A configuration references one as ::{name}; tcd
inserts the value verbatim when it renders the TOML. Names: a letter or
underscore, then letters, digits and underscores (at most 128). Values: at
most 64 KiB, no double quotes or line breaks; they are not secret (use
@{store:key} secrets for that). Changing a value moves the Last-Modified of
exactly the configs that use it, so watching agents reload.`,
		Example: "  tcctl constant set region eu-west-1\n  tcctl constant list\n  tcctl constant delete region --yes",
		RunE:    cmdutil.GroupRunE,
	}
	cmd.AddCommand(NewCmdList(f), NewCmdSet(f), NewCmdDelete(f))
	return cmd
}
