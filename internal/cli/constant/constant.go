// Package constant holds `tcctl constant …`: global values that
// configurations reference as ::{name}.
package constant

import (
	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
)

// NewCmdConstant builds the `tcctl constant` noun and its verbs.
func NewCmdConstant(f *cmdutil.Factory) *cobra.Command {
	r := resource.Constants
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
	cmd.AddCommand(
		resource.NewListCmd(f, r, resource.Help{Short: "List constants and how many configs use each",
			Long:    "List every constant with its value and the number of configs that reference it (-o json lists their IDs).",
			Example: "  tcctl constant list\n  tcctl constant list --sort updatedAt --desc -o json"}),
		resource.NewGetCmd(f, r, resource.Help{Use: "get <name>", Short: "Show one constant", Example: "  tcctl constant get region -o json"}),
		NewCmdSet(f),
		resource.NewDeleteCmd(f, r, resource.DeleteSpec{Help: resource.Help{Use: "delete <name>...", Short: "Delete constants no configuration references",
			Long:    "Delete constants. Refused (exit 1) while a configuration references one. Asks for confirmation on a terminal; elsewhere --yes is required.",
			Example: "  tcctl constant delete region --yes"}}),
	)
	return cmd
}
