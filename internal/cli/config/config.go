// Package config holds `tcctl config …`: configurations, their versions,
// rendering and the Telegraf command line that uses them. One file per verb.
package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdConfig builds the `tcctl config` noun and its verbs.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	r := resource.Configs
	cmd := &cobra.Command{
		Use:   "config <command>",
		Short: "Manage Telegraf configurations, their versions and rendering",
		Long: `Manage the Telegraf configurations tcd serves to agents.

Every change of a config's TOML is a new version (author, time, note);
identical TOML creates nothing, so "tcctl config push" is safe to run from CI
on every commit. Agents fetch the rendered TOML from
/api/configs/<id>/toml?param=value (or /c/<alias>): constants ::{name} and
parameters &{name} / &{name:default} are substituted, ${ENV} and @{secret}
are left for Telegraf.

<config> arguments take a config ID, alias or name.`,
		Example: `  tcctl config push --name web -f web.toml --note "$GIT_SHA"
  tcctl config history web
  tcctl config diff web --from 1 --to 2
  tcctl config render web --param agent_id=web-01
  tcctl config use web --param agent_id=web-01`,
		RunE: cmdutil.GroupRunE,
	}
	var file string
	var force bool
	readFile := func(cmd *cobra.Command, body map[string]any) error {
		if file == "" {
			if cmd.Name() == "create" {
				return cmdutil.FlagErrorf("-f/--file is required (a TOML file, or - for stdin)")
			}
			return nil
		}
		toml, err := readTOML(f.IOStreams, file)
		if err != nil {
			return err
		}
		body["toml"] = toml
		return nil
	}
	fileFlag := func(cmd *cobra.Command) {
		cmd.Flags().StringVarP(&file, "file", "f", "", "TOML file (- for stdin)")
	}
	wrap := func(err error) error { return tomlError(file, err) }
	warn := func(v any) {
		if cfg, ok := v.(tc.Config); ok {
			printWarnings(f.IOStreams.ErrOut, file, cfg.ID, cfg.Warnings)
		}
	}
	cmd.AddCommand(
		resource.NewListCmd(f, r, resource.Help{Short: "List configurations",
			Long:    "List configurations, optionally searched (name and description) and filtered by labels (all must match).",
			Example: "  tcctl config list\n  tcctl config list --label production --sort updatedAt --desc -o json"}),
		NewCmdGet(f),
		resource.NewCreateCmd(f, r, resource.WriteSpec{Fields: createFields, Flags: fileFlag, Prepare: readFile, Wrap: wrap, After: warn, Done: "Config %s created (version 1)",
			Help: resource.Help{Short: "Create a configuration from a TOML file",
				Long: `Create a configuration (version 1) from a TOML file, or stdin with -f -.
The TOML is validated; an error names the line and column and nothing is
stored; lint warnings are printed on stderr; a file that is not UTF-8 is
refused before anything is sent. Fails if the name is taken — use "tcctl config push" to create or
update by name. --id keeps a given ID (e.g. the one a config had in
Telegraf Controller, so agents' URLs keep working). Prints the new ID.`,
				Example: "  tcctl config create --name web -f web.toml --label production\n  cat web.toml | tcctl config create --name web -f -"}}),
		NewCmdPush(f),
		NewCmdEdit(f),
		resource.NewDeleteCmd(f, r, resource.DeleteSpec{Warning: "Their versions and aliases go too.",
			Flags: func(cmd *cobra.Command) {
				cmd.Flags().BoolVar(&force, "force", false, "delete even while reporting agents use them")
			},
			Query: func() url.Values {
				if force {
					return url.Values{"force": {"true"}}
				}
				return nil
			},
			Help: resource.Help{Short: "Delete configurations, their versions and aliases",
				Long: `Delete configurations with their versions and aliases; they are removed from
every group. Refused while agents that are reporting use one, unless
--force. Asks for confirmation on a terminal; elsewhere --yes is required.`,
				Example: "  tcctl config delete web\n  tcctl config delete web --force --yes"}}),
		NewCmdRender(f), NewCmdHistory(f), NewCmdDiff(f), NewCmdRollback(f), NewCmdPrune(f), NewCmdUse(f),
		NewCmdValidate(f),
	)
	return cmd
}

var createFields = []resource.Field{
	{Flag: "name", JSON: "name", Usage: "config name (unique)", Required: true},
	{Flag: "description", JSON: "description", Usage: "description"},
	{Flag: "note", JSON: "note", Usage: "note of the version (create: default \"Initial version\")"},
	{Flag: "label", JSON: "labels", Kind: resource.Strings, Usage: "label ID or name", Complete: resource.CompleteLabels},
	{Flag: "id", JSON: "id", Usage: "use this ID instead of a generated UUID"},
	{Flag: "env-handling", JSON: "envHandling", Usage: "how the agents handle ${VAR}: strict or nonstrict (default tcd's setting)"},
}

// readTOML reads a file, or stdin for "-".
func readTOML(ios *iostreams.IOStreams, path string) (string, error) {
	if path == "" {
		return "", cmdutil.FlagErrorf("-f/--file is required (a TOML file, or - for stdin)")
	}
	var (
		b   []byte
		err error
	)
	if path == "-" {
		b, err = io.ReadAll(ios.In)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	// Bytes are sent as they are or not at all: JSON would turn what is
	// not UTF-8 into U+FFFD without a word.
	var se *render.SyntaxError
	if errors.As(render.CheckUTF8(string(b)), &se) {
		if path == "-" {
			path = "<stdin>"
		}
		return "", fmt.Errorf("%s:%d:%d: %s", path, se.Line, se.Column, se.Msg)
	}
	return string(b), nil
}

// printWarnings prints the lint warnings a write returned on stderr, the
// pushed file's own as FILE:LINE:COLUMN; tcd's text is escaped.
func printWarnings(w io.Writer, file, configID string, warnings []tc.ConfigProblem) {
	if file == "" || file == "-" {
		file = "<stdin>"
	}
	for _, p := range warnings {
		msg := cmdutil.Safe(p.Message)
		switch {
		case p.Kind == "config" && p.ID == configID && p.Line > 0:
			fmt.Fprintf(w, "%s:%d:%d: warning: %s\n", file, p.Line, p.Column, msg)
		case p.Member != "":
			fmt.Fprintf(w, "warning: %s %q, member %q, line %d, column %d: %s\n", p.Kind, p.Name, p.Member, p.Line, p.Column, msg)
		default:
			fmt.Fprintf(w, "warning: %s %q, line %d, column %d: %s\n", p.Kind, p.Name, p.Line, p.Column, msg)
		}
	}
}

// tomlError prefixes a TOML validation error with file:line:column, the
// form editors and CI logs link to.
func tomlError(file string, err error) error {
	var te *tc.Error
	if !errors.As(err, &te) || te.Details["line"] == nil {
		return err
	}
	if file == "" || file == "-" {
		file = "<stdin>"
	}
	return &fileError{msg: fmt.Sprintf("%s:%v:%v: %s", file, te.Details["line"], te.Details["column"], te.Message), err: te}
}

type fileError struct {
	msg string
	err *tc.Error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// find resolves a <config> argument.
func find(ctx context.Context, f *cmdutil.Factory, ref string) (*client.Client, tc.Config, error) {
	c, err := f.Client()
	if err != nil {
		return nil, tc.Config{}, err
	}
	cfg, err := resource.Configs.Find(ctx, c, ref)
	return c, cfg, err
}
