package resource

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// NewGetCmd builds the get verb of r: one object by ID or name, exit 3 if
// there is none.
func NewGetCmd[T any](f *cmdutil.Factory, r *Resource[T], h Help) *cobra.Command {
	if h.Use == "" {
		h.Use = "get <" + strings.ReplaceAll(r.Kind, " ", "-") + ">"
	}
	return &cobra.Command{
		Use: h.Use, Short: h.Short, Long: h.Long, Example: h.Example, Aliases: h.Aliases,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: r.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			v, err := r.Find(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return r.Print(cmd.Context(), f, v)
		},
	}
}

// DeleteSpec adds what is special to a delete verb.
type DeleteSpec struct {
	Help
	// Flags adds flags; Query returns the query sent with each DELETE
	// (e.g. force=true).
	Flags func(cmd *cobra.Command)
	Query func() url.Values
	// Delete replaces the DELETE request (e.g. for a bulk endpoint); it is
	// given the IDs of the objects found and returns what it changed.
	Delete func(ctx context.Context, c *client.Client, ids []string) (int, error)
	// Bulk, when set, deletes by reference in one go (agents: by ID, in
	// requests of at most 1,000): nothing is looked up first, "-" reads
	// references from stdin, and the result names what did not exist.
	Bulk func(ctx context.Context, c *client.Client, refs []string) (tc.BulkResult, error)
	// Warning is added to the confirmation question.
	Warning string
}

// NewDeleteCmd builds the delete verb of r: it takes one or more
// references, asks once (on a terminal; elsewhere --yes is required),
// deletes what it found, says what it deleted and exits 3 naming what it
// did not find.
func NewDeleteCmd[T any](f *cmdutil.Factory, r *Resource[T], spec DeleteSpec) *cobra.Command {
	var yes bool
	h := spec.Help
	if h.Use == "" {
		h.Use = "delete <" + strings.ReplaceAll(r.Kind, " ", "-") + ">..."
	}
	cmd := &cobra.Command{
		Use: h.Use, Short: h.Short, Long: h.Long, Example: h.Example,
		Aliases:           append([]string{"rm"}, h.Aliases...),
		Args:              minArgs(1),
		ValidArgsFunction: r.Complete(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := f.Client()
			if err != nil {
				return err
			}
			if spec.Bulk != nil {
				return bulkDelete(cmd, f, c, r, spec, yes, args)
			}
			found, missing, err := r.FindAll(ctx, c, args)
			if err != nil {
				return err
			}
			if len(found) > 0 {
				q := fmt.Sprintf("Delete %s %s?", r.Kind, strings.Join(r.Names(found), ", "))
				if len(found) > 1 {
					q = fmt.Sprintf("Delete %d %s (%s)?", len(found), r.plural(), strings.Join(r.Names(found), ", "))
				}
				if spec.Warning != "" {
					q += " " + spec.Warning
				}
				if err := cmdutil.Confirm(ctx, f.IOStreams, yes, cmdutil.Safe(q)); err != nil {
					return err
				}
				if err := deleteFound(ctx, c, r, spec, found); err != nil {
					return err
				}
				kind := r.Kind
				if len(found) > 1 {
					kind = r.plural()
				}
				cmdutil.Reportf(f.IOStreams, len(missing) > 0, "Deleted %s %s", kind, strings.Join(r.Names(found), ", "))
			}
			return r.Missing(missing)
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	if spec.Flags != nil {
		spec.Flags(cmd)
	}
	return cmd
}

func bulkDelete[T any](cmd *cobra.Command, f *cmdutil.Factory, c *client.Client, r *Resource[T], spec DeleteSpec, yes bool, args []string) error {
	ctx := cmd.Context()
	refs, err := ExpandStdin(f.IOStreams, args)
	if err != nil {
		return err
	}
	refs = unique(refs)
	if len(refs) == 0 {
		return cmdutil.FlagErrorf("no %s named", r.plural())
	}
	q := fmt.Sprintf("Delete %s %s?", r.Kind, refs[0])
	if len(refs) > 1 {
		q = fmt.Sprintf("Delete %s %s?", cmdutil.Thousands(len(refs)), r.plural())
	}
	if spec.Warning != "" {
		q += " " + spec.Warning
	}
	if err := cmdutil.Confirm(ctx, f.IOStreams, yes, cmdutil.Safe(q)); err != nil {
		return err
	}
	res, err := spec.Bulk(ctx, c, refs)
	if err != nil {
		return err
	}
	if f.Output.Structured() {
		if err := cmdutil.PrintStructured(f.IOStreams.Out, f.Output, res); err != nil {
			return err
		}
	} else {
		kind := r.plural()
		if res.Changed == 1 {
			kind = r.Kind
		}
		cmdutil.Reportf(f.IOStreams, len(res.NotFound) > 0, "Deleted %s %s", cmdutil.Thousands(res.Changed), kind)
	}
	return r.Missing(res.NotFound)
}

func deleteFound[T any](ctx context.Context, c *client.Client, r *Resource[T], spec DeleteSpec, found []T) error {
	ids := make([]string, len(found))
	for i, v := range found {
		ids[i] = r.ID(v)
	}
	if spec.Delete != nil {
		_, err := spec.Delete(ctx, c, ids)
		return err
	}
	var q url.Values
	if spec.Query != nil {
		q = spec.Query()
	}
	for i, id := range ids {
		if err := c.Do(ctx, http.MethodDelete, r.ObjectPath(id), q, nil, nil); err != nil {
			if i > 0 {
				return fmt.Errorf("deleted %s, then: %w", strings.Join(r.Names(found[:i]), ", "), err)
			}
			return err
		}
	}
	return nil
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return cmdutil.ExactArgs(n)(cmd, args)
		}
		return nil
	}
}

// FieldKind is the type of a request field set by a flag.
type FieldKind int

const (
	String   FieldKind = iota
	Strings            // repeatable flag → JSON array
	Bool               // boolean flag
	Seconds            // duration flag (30d, 15m) → whole seconds
	Duration           // duration flag → its text, as given (e.g. expiresIn)
)

// Field maps a flag to a field of a create or edit request.
type Field struct {
	Flag, Shorthand, Usage string
	JSON                   string
	Kind                   FieldKind
	// Required on create; Create / Edit limit a field to one verb.
	Required, CreateOnly, EditOnly bool
	Complete                       func(f *cmdutil.Factory) cobra.CompletionFunc
}

// WriteSpec adds what is special to a create or edit verb.
type WriteSpec struct {
	Help
	Fields []Field
	// Flags adds flags that are not plain fields; Prepare completes the
	// request body from them (or rejects the combination with a usage
	// error) before it is sent.
	Flags   func(cmd *cobra.Command)
	Prepare func(cmd *cobra.Command, body map[string]any) error
	// Method is the edit verb's method (default PATCH).
	Method string
	// Done is the success message, a format taking the object's name
	// ("Label %s created").
	Done string
	// Wrap changes an error of the request (e.g. to name a file's line).
	Wrap func(error) error
	// After, if set, sees the object tcd answered (e.g. to print the
	// warnings it carries) before it is printed.
	After func(v any)
}

type fieldValues struct {
	str     map[string]*string
	strs    map[string]*[]string
	boolean map[string]*bool
	dur     map[string]*time.Duration
}

func bindFields(f *cmdutil.Factory, cmd *cobra.Command, fields []Field, create bool) *fieldValues {
	fv := &fieldValues{str: map[string]*string{}, strs: map[string]*[]string{}, boolean: map[string]*bool{}, dur: map[string]*time.Duration{}}
	fl := cmd.Flags()
	for _, fd := range fields {
		if create && fd.EditOnly || !create && fd.CreateOnly {
			continue
		}
		switch fd.Kind {
		case String:
			fv.str[fd.Flag] = fl.StringP(fd.Flag, fd.Shorthand, "", fd.Usage)
		case Strings:
			fv.strs[fd.Flag] = fl.StringArrayP(fd.Flag, fd.Shorthand, nil, fd.Usage+" (repeatable)")
		case Bool:
			fv.boolean[fd.Flag] = fl.BoolP(fd.Flag, fd.Shorthand, false, fd.Usage)
		case Seconds, Duration:
			d := new(time.Duration)
			fv.dur[fd.Flag] = d
			fl.VarP(cmdutil.NewDuration(d, 0), fd.Flag, fd.Shorthand, fd.Usage)
		}
		if create && fd.Required {
			_ = cmd.MarkFlagRequired(fd.Flag)
		}
		if fd.Complete != nil {
			_ = cmd.RegisterFlagCompletionFunc(fd.Flag, fd.Complete(f))
		}
	}
	return fv
}

// body holds the fields whose flags were given.
func (fv *fieldValues) body(cmd *cobra.Command, fields []Field) map[string]any {
	out := map[string]any{}
	for _, fd := range fields {
		if cmd.Flags().Lookup(fd.Flag) == nil || !cmd.Flags().Changed(fd.Flag) {
			continue
		}
		switch fd.Kind {
		case String:
			out[fd.JSON] = *fv.str[fd.Flag]
		case Strings:
			out[fd.JSON] = *fv.strs[fd.Flag]
		case Bool:
			out[fd.JSON] = *fv.boolean[fd.Flag]
		case Seconds:
			out[fd.JSON] = int64(*fv.dur[fd.Flag] / time.Second)
		case Duration:
			out[fd.JSON] = fv.dur[fd.Flag].String() // Go's form, which tcd reads
		}
	}
	return out
}

// NewCreateCmd builds the create verb of r: POST Path with the fields
// given. It prints the new object's ID on stdout (the object with -o
// json|yaml), so ID=$(tcctl … create …) works.
func NewCreateCmd[T any](f *cmdutil.Factory, r *Resource[T], spec WriteSpec) *cobra.Command {
	h := spec.Help
	if h.Use == "" {
		h.Use = "create"
	}
	var fv *fieldValues
	cmd := &cobra.Command{
		Use: h.Use, Short: h.Short, Long: h.Long, Example: h.Example, Aliases: h.Aliases,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			body := fv.body(cmd, spec.Fields)
			if spec.Prepare != nil {
				if err := spec.Prepare(cmd, body); err != nil {
					return err
				}
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			var v T
			if err := c.Do(cmd.Context(), http.MethodPost, r.Path, nil, body, &v); err != nil {
				return wrap(spec, err)
			}
			if spec.After != nil {
				spec.After(v)
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, v)
			}
			fmt.Fprintln(f.IOStreams.Out, cmdutil.Safe(r.ID(v)))
			cmdutil.Successf(f.IOStreams, spec.Done, r.display(v))
			return nil
		},
	}
	fv = bindFields(f, cmd, spec.Fields, true)
	if spec.Flags != nil {
		spec.Flags(cmd)
	}
	return cmd
}

// NewEditCmd builds the edit verb of r: find the object, send the fields
// given (PATCH), print the result. Without any field it is a usage error.
func NewEditCmd[T any](f *cmdutil.Factory, r *Resource[T], spec WriteSpec) *cobra.Command {
	h := spec.Help
	if h.Use == "" {
		h.Use = "edit <" + strings.ReplaceAll(r.Kind, " ", "-") + ">"
	}
	method := spec.Method
	if method == "" {
		method = http.MethodPatch
	}
	var fv *fieldValues
	cmd := &cobra.Command{
		Use: h.Use, Short: h.Short, Long: h.Long, Example: h.Example, Aliases: h.Aliases,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: r.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := fv.body(cmd, spec.Fields)
			if spec.Prepare != nil {
				if err := spec.Prepare(cmd, body); err != nil {
					return err
				}
			}
			if len(body) == 0 {
				names := make([]string, 0, len(spec.Fields))
				for _, fd := range spec.Fields {
					if !fd.CreateOnly {
						names = append(names, "--"+fd.Flag)
					}
				}
				return cmdutil.FlagErrorf("nothing to change: give %s", strings.Join(names, ", "))
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			cur, err := r.Find(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			// The change applies to the object as read now: If-Match
			// makes tcd refuse it (412) if someone changes it meanwhile.
			var fresh T
			hdr, err := c.DoHeader(cmd.Context(), http.MethodGet, r.ObjectPath(r.ID(cur)), nil, nil, nil, &fresh)
			if err != nil {
				return err
			}
			var v T
			if _, err := c.DoHeader(cmd.Context(), method, r.ObjectPath(r.ID(cur)), nil, IfMatch(hdr), body, &v); err != nil {
				if client.IsPreconditionFailed(err) {
					return Changed(r.Kind, r.display(cur), cmd.CommandPath()+" "+strings.Join(args, " "))
				}
				return wrap(spec, err)
			}
			if spec.After != nil {
				spec.After(v)
			}
			if spec.Done != "" {
				cmdutil.Successf(f.IOStreams, spec.Done, r.display(v))
			}
			return r.Print(cmd.Context(), f, v)
		},
	}
	fv = bindFields(f, cmd, spec.Fields, false)
	if spec.Flags != nil {
		spec.Flags(cmd)
	}
	return cmd
}

func wrap(spec WriteSpec, err error) error {
	if spec.Wrap != nil {
		return spec.Wrap(err)
	}
	return err
}

// ObjectSpec describes a verb that acts on one object named by its first
// argument (config history, rule set-default, token reassign, …).
type ObjectSpec[T any] struct {
	Help
	// Args is the number of positional arguments (default 1, the object).
	Args int
	// Flags adds the verb's flags; Complete completes the arguments after
	// the first.
	Flags    func(cmd *cobra.Command)
	Complete cobra.CompletionFunc
	// Run acts on the object found; args are all the arguments.
	Run func(cmd *cobra.Command, c *client.Client, v T, args []string) error
}

// NewObjectCmd builds a verb from spec: it checks the arguments, resolves
// the first to an object of r (exit 3 if there is none) and runs spec.Run.
func NewObjectCmd[T any](f *cmdutil.Factory, r *Resource[T], spec ObjectSpec[T]) *cobra.Command {
	n := spec.Args
	if n == 0 {
		n = 1
	}
	h := spec.Help
	cmd := &cobra.Command{
		Use: h.Use, Short: h.Short, Long: h.Long, Example: h.Example, Aliases: h.Aliases,
		Args: cmdutil.ExactArgs(n),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return r.Completions(cmd.Context(), f, toComplete), cobra.ShellCompDirectiveNoFileComp
			}
			if spec.Complete != nil {
				return spec.Complete(cmd, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			v, err := r.Find(cmd.Context(), c, args[0])
			if err != nil {
				return err
			}
			return spec.Run(cmd, c, v, args)
		},
	}
	if spec.Flags != nil {
		spec.Flags(cmd)
	}
	return cmd
}

// IfMatch is the If-Match header for an object read with the response
// headers hdr (none if tcd sent no ETag).
func IfMatch(hdr http.Header) http.Header {
	if tag := hdr.Get("ETag"); tag != "" {
		return http.Header{"If-Match": {tag}}
	}
	return nil
}

// Changed is the error of an edit that tcd refused with 412: the object
// changed after it was read, nothing was saved, and the user should
// re-run the command (rerun).
func Changed(kind, name, rerun string) error {
	return fmt.Errorf("%s %s was changed on tcd by someone else after it was read: nothing was saved; run %q again to apply your change to the current state", kind, cmdutil.Safe(name), rerun)
}
