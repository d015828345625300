// Package config holds `tcctl config …`: configurations, their versions,
// rendering and the Telegraf command line that uses them. One file per verb.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// NewCmdConfig builds the `tcctl config` noun and its verbs.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
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
	cmd.AddCommand(
		NewCmdList(f), NewCmdGet(f), NewCmdCreate(f), NewCmdPush(f), NewCmdEdit(f), NewCmdDelete(f),
		NewCmdRender(f), NewCmdHistory(f), NewCmdDiff(f), NewCmdRollback(f), NewCmdPrune(f), NewCmdUse(f),
		NewCmdValidate(f),
	)
	return cmd
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
// pushed file's own as FILE:LINE:COLUMN.
func printWarnings(w io.Writer, file, configID string, warnings []tc.ConfigProblem) {
	if file == "" || file == "-" {
		file = "<stdin>"
	}
	for _, p := range warnings {
		switch {
		case p.Kind == "config" && p.ID == configID && p.Line > 0:
			fmt.Fprintf(w, "%s:%d:%d: warning: %s\n", file, p.Line, p.Column, p.Message)
		case p.Member != "":
			fmt.Fprintf(w, "warning: %s %q, member %q, line %d, column %d: %s\n", p.Kind, p.Name, p.Member, p.Line, p.Column, p.Message)
		default:
			fmt.Fprintf(w, "warning: %s %q, line %d, column %d: %s\n", p.Kind, p.Name, p.Line, p.Column, p.Message)
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

func printConfigTable(w io.Writer, cfgs ...tc.Config) error {
	t := cmdutil.NewTable(w, "ID", "NAME", "VERSION", "LABELS", "ALIASES", "UPDATED")
	for _, c := range cfgs {
		t.Row(c.ID, c.Name, fmt.Sprint(c.Version), labelNames(c.Labels), strings.Join(c.Aliases, ","), cmdutil.Time(c.UpdatedAt))
	}
	return t.Flush()
}

func labelNames(ls []tc.Label) string {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.Name
	}
	return strings.Join(names, ",")
}
