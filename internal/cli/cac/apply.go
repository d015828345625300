package cac

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/tc"
)

// applyFlags are the flags apply and diff share.
type applyFlags struct {
	files     []string
	recursive bool
	prune     bool
	selector  string
}

func (o *applyFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "resource file or directory (repeatable)")
	cmd.Flags().BoolVarP(&o.recursive, "recursive", "R", false, "read the directories' subdirectories too (an exported tree needs it)")
	cmd.Flags().BoolVar(&o.prune, "prune", false, "delete the resources of the kinds in the files that the files do not name")
	cmd.Flags().StringVarP(&o.selector, "selector", "l", "", "with --prune: delete only resources carrying this label")
}

func (o *applyFlags) request() (tc.ApplyRequest, error) {
	if len(o.files) == 0 {
		return tc.ApplyRequest{}, cmdutil.FlagErrorf("-f is required: a resource file or directory (repeatable)")
	}
	if o.selector != "" && !o.prune {
		return tc.ApplyRequest{}, cmdutil.FlagErrorf("-l/--selector limits --prune: give --prune too")
	}
	rs, err := Load(o.files, o.recursive)
	if err != nil {
		return tc.ApplyRequest{}, err
	}
	if len(rs) == 0 {
		return tc.ApplyRequest{}, cmdutil.FlagErrorf("no resources in %s", strings.Join(o.files, ", "))
	}
	return tc.ApplyRequest{Resources: rs, Prune: o.prune, Selector: o.selector}, nil
}

// NewCmdApply builds `tcctl apply`.
func NewCmdApply(f *cmdutil.Factory) *cobra.Command {
	var (
		o      applyFlags
		dryRun bool
		note   string
	)
	cmd := &cobra.Command{
		Use:   "apply -f DIR|FILE...",
		Short: "Make tcd's configuration match resource files, all or nothing",
		Long: `Apply tc/v1 resource files (see tcctl export and docs/config-as-code.md)
in one request: tcd validates every resource and every config and config
group the change affects (rendered as agents get them), then applies all
of it in one transaction — or nothing, naming the file and line at fault.

Each resource is printed with what happened to it: created, updated,
unchanged or deleted. Applying the same files again changes nothing (no
new versions; agents see no Last-Modified move) and prints only
"unchanged".

--prune deletes the resources of the kinds present in the files that the
files do not name (with -l, only configs and config groups carrying that
label); the default reporting rule is never deleted. --dry-run shows what
would happen and changes nothing (tcctl diff shows it as diffs). --note is
the note of every config version created and is recorded in the audit log
with the apply's ID.`,
		Example: `  tcctl apply -f fleet/ -R --note "$GIT_SHA"
  tcctl apply -f fleet/ -R --prune --dry-run
  tcctl apply -f prod/ -R --prune -l production
  tcctl apply -f web.yaml -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := o.request()
			if err != nil {
				return err
			}
			req.DryRun, req.Note = dryRun, note
			res, err := send(cmd.Context(), f, req)
			if err != nil {
				return err
			}
			printWarnings(f.IOStreams.ErrOut, res.Warnings)
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, res)
			}
			suffix := ""
			if res.DryRun {
				suffix = " (dry run)"
			}
			for _, ch := range res.Changes {
				fmt.Fprintf(f.IOStreams.Out, "%s/%s %s%s\n", strings.ToLower(ch.Kind), cmdutil.Safe(ch.Name), ch.Action, suffix)
			}
			return nil
		},
	}
	o.bind(cmd)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate and show what would change; change nothing")
	cmd.Flags().StringVar(&note, "note", "", "note of the config versions created (e.g. a commit), recorded in the audit log")
	return cmd
}

// NewCmdDiff builds `tcctl diff`.
func NewCmdDiff(f *cmdutil.Factory) *cobra.Command {
	var o applyFlags
	cmd := &cobra.Command{
		Use:   "diff -f DIR|FILE...",
		Short: "Show what tcctl apply would change (exit 1 if anything)",
		Long: `Show what "tcctl apply" with the same files and flags would change, per
resource: created, updated (a unified diff of its fields and, for a config,
of its TOML) or deleted (with --prune). tcd validates the files as apply
does; nothing is changed.

Exit status: 0 when nothing would change, 1 when something would (a CI
gate), 2 or more on errors (invalid files, unreachable tcd, …).`,
		Example: `  tcctl diff -f fleet/ -R
  tcctl diff -f fleet/ -R --prune || echo "tcd differs from the repository"`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fail := func(err error) error {
				code := cmdutil.ExitCode(err)
				if code < 2 {
					code = 2
				}
				return &cmdutil.CodeError{Code: code, Err: err}
			}
			req, err := o.request()
			if err != nil {
				return fail(err)
			}
			req.DryRun, req.Diff = true, true
			res, err := send(cmd.Context(), f, req)
			if err != nil {
				return fail(err)
			}
			printWarnings(f.IOStreams.ErrOut, res.Warnings)
			changed := false
			for _, ch := range res.Changes {
				changed = changed || ch.Action != tc.ActionUnchanged
			}
			if f.Output.Structured() {
				if err := cmdutil.PrintStructured(f.IOStreams.Out, f.Output, res); err != nil {
					return &cmdutil.CodeError{Code: 2, Err: err}
				}
			} else {
				for _, ch := range res.Changes {
					if ch.Action == tc.ActionUnchanged {
						continue
					}
					fmt.Fprintf(f.IOStreams.Out, "%s/%s %s\n", strings.ToLower(ch.Kind), cmdutil.Safe(ch.Name), strings.TrimSuffix(ch.Action, "d"))
					io.WriteString(f.IOStreams.Out, cmdutil.SafeText(ch.Diff))
				}
			}
			if changed {
				return &cmdutil.CodeError{Code: 1}
			}
			return nil
		},
	}
	o.bind(cmd)
	return cmd
}

// send posts the request; a refusal lists every problem, one per line.
func send(ctx context.Context, f *cmdutil.Factory, req tc.ApplyRequest) (tc.ApplyResult, error) {
	c, err := f.Client()
	if err != nil {
		return tc.ApplyResult{}, err
	}
	var res tc.ApplyResult
	if err := c.Do(ctx, http.MethodPost, "/api/apply", nil, req, &res); err != nil {
		var te *tc.Error
		if errors.As(err, &te) {
			if ps, ok := te.Details["problems"].([]any); ok && len(ps) > 1 {
				var b strings.Builder
				b.WriteString(te.Message)
				for _, p := range ps {
					if m, ok := p.(map[string]any); ok {
						b.WriteString("\n  ")
						b.WriteString(describe(m))
					}
				}
				return res, &problemsError{msg: b.String(), err: te}
			}
		}
		return res, err
	}
	return res, nil
}

type problemsError struct {
	msg string
	err *tc.Error
}

func (e *problemsError) Error() string { return e.msg }
func (e *problemsError) Unwrap() error { return e.err }

// describe is one problem as FILE:LINE:COLUMN: Kind "name": message.
func describe(m map[string]any) string {
	var b strings.Builder
	if f, _ := m["file"].(string); f != "" {
		b.WriteString(f)
		if l, _ := m["line"].(float64); l > 0 {
			fmt.Fprintf(&b, ":%d", int(l))
			if c, _ := m["column"].(float64); c > 0 {
				fmt.Fprintf(&b, ":%d", int(c))
			}
		}
		b.WriteString(": ")
	}
	if k, _ := m["kind"].(string); k != "" {
		fmt.Fprintf(&b, "%s %q: ", k, m["name"])
	}
	msg, _ := m["message"].(string)
	b.WriteString(msg)
	return b.String()
}

func printWarnings(w io.Writer, ws []tc.ConfigProblem) {
	for _, p := range ws {
		where := fmt.Sprintf("%s %q", p.Kind, p.Name)
		if p.Member != "" {
			where += fmt.Sprintf(" (member %q)", p.Member)
		}
		fmt.Fprintf(w, "warning: %s line %d, column %d: %s\n", cmdutil.SafeText(where), p.Line, p.Column, cmdutil.Safe(p.Message))
	}
}
