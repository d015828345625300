// Package resource builds the verbs every tcctl noun shares — list, get,
// create, edit and delete — from a small descriptor of an API resource: its
// path, its table columns, how a name typed by a user is found, and which
// filters its list takes. The per-noun packages declare a Resource and add
// only the verbs that are special to them.
//
// What every generated verb does the same way:
//   - references: an argument is an ID or a name (whatever the resource's
//     Lookup accepts), resolved once; several arguments are resolved each,
//     and those not found are reported (exit 3) after the others are done;
//   - lists: one page by default with a note on stderr when there are more
//     ("showing 100 of 3,029; use --all"); --all pages through everything and
//     is the default for -o json|yaml; --sort FIELD and --desc everywhere;
//     filters naming an unknown label, rule or config give an empty list and
//     a note, not an error;
//   - output: tables for people (cells escaped, see cmdutil.Safe), the API
//     objects with -o json|yaml;
//   - completion of every resource argument from tcd.
package resource

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Column is one column of a resource's table.
type Column[T any] struct {
	Header string
	Value  func(T) string
	// TTYValue, if set, is shown instead of Value when stdout is a
	// terminal (e.g. "2m ago" for a time).
	TTYValue func(T) string
	// Color returns the SGR sequence for a cell's text (optional; used
	// only when colour is enabled).
	Color func(cell string) string
}

// Resource describes an API resource whose objects are T.
type Resource[T any] struct {
	// Kind is the noun in messages ("config group"); Plural defaults to
	// cmdutil.Plural(Kind).
	Kind, Plural string
	// Path is the collection, e.g. /api/labels; an object is Path/{id},
	// the ID escaped by Segment (default url.PathEscape).
	Path    string
	Segment func(id string) string
	Columns []Column[T]
	// ID and Name of an object; Name is what users type and see ("" if
	// the resource has no name besides its ID).
	ID, Name func(T) string
	// Describe is the description shown next to a completion (default:
	// the ID when completing names).
	Describe func(T) string
	Lookup   Lookup
	// Paged says the list answers limit/offset with a total. Lists that
	// are not paged return everything at once.
	Paged bool
	// SortKeys are the keys tcd sorts by (sort=…&order=desc). Without
	// them --sort sorts here, on any JSON field of T, over all pages.
	SortKeys []string
	// SortQuery, if set, writes --sort and --desc into the query instead
	// of sort=KEY&order=desc (for lists whose order is fixed but for its
	// direction, like the audit log).
	SortQuery func(q url.Values, key string, desc bool)
	// Filters are the list's flags beyond paging and sorting.
	Filters []Filter
	// Detail prints one object for get and edit (default: its table
	// row); it may ask tcd for names to show instead of IDs.
	Detail func(ctx context.Context, f *cmdutil.Factory, v T) error
}

// Lookup says how a reference is resolved to an object.
type Lookup struct {
	// Get: GET Path/{ref} resolves it (tcd accepts IDs and, per resource,
	// names or aliases). IDOnly limits that to references shaped like IDs.
	Get    bool
	IDOnly func(ref string) bool
	// NameParam is the list parameter selecting an exact name ("name").
	NameParam string
	// ByName compares Name over the whole list (tokens by description,
	// invites by username): for resources tcd cannot look up by name.
	ByName bool
}

func (r *Resource[T]) plural() string {
	if r.Plural != "" {
		return r.Plural
	}
	return cmdutil.Plural(r.Kind)
}

// ObjectPath is the path of one object.
func (r *Resource[T]) ObjectPath(id string) string {
	if r.Segment != nil {
		return r.Path + "/" + r.Segment(id)
	}
	return r.Path + "/" + url.PathEscape(id)
}

// Get fetches one object by the reference tcd resolves.
func (r *Resource[T]) Get(ctx context.Context, c *client.Client, ref string) (T, error) {
	var v T
	err := c.Do(ctx, http.MethodGet, r.ObjectPath(ref), nil, nil, &v)
	return v, err
}

// Page fetches one page (q carries filters, sort, limit and offset).
func (r *Resource[T]) Page(ctx context.Context, c *client.Client, q url.Values) (tc.List[T], error) {
	var l tc.List[T]
	err := c.Do(ctx, http.MethodGet, r.Path, q, nil, &l)
	if !r.Paged || l.Total < len(l.Items) {
		l.Total = len(l.Items)
	}
	return l, err
}

// All fetches every page of the list. progress, if not nil, is told how
// many of how many objects have arrived after each page.
func (r *Resource[T]) All(ctx context.Context, c *client.Client, q url.Values, progress func(done, total int)) (tc.List[T], error) {
	q = clone(q)
	q.Set("limit", strconv.Itoa(tc.MaxLimit))
	var out tc.List[T]
	for offset := 0; ; {
		q.Set("offset", strconv.Itoa(offset))
		page, err := r.Page(ctx, c, q)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, page.Items...)
		out.Total = page.Total
		if progress != nil {
			progress(len(out.Items), page.Total)
		}
		offset += len(page.Items)
		if !r.Paged || len(page.Items) == 0 || offset >= page.Total {
			break
		}
	}
	out.Limit = len(out.Items)
	if len(out.Items) > out.Total {
		out.Total = len(out.Items)
	}
	return out, nil
}

// Find resolves a reference (ID or name) to one object. A reference that
// names nothing is a not_found error; one that names several objects is
// a usage error listing their IDs.
func (r *Resource[T]) Find(ctx context.Context, c *client.Client, ref string) (T, error) {
	var zero T
	if strings.TrimSpace(ref) == "" {
		return zero, cmdutil.FlagErrorf("the %s argument is empty: give an ID or a name", r.Kind)
	}
	lk := r.Lookup
	if lk.Get && (lk.IDOnly == nil || lk.IDOnly(ref)) {
		v, err := r.Get(ctx, c, ref)
		if err == nil || !isNotFound(err) {
			return v, err
		}
	}
	var matches []T
	switch {
	case lk.NameParam != "":
		l, err := r.Page(ctx, c, url.Values{lk.NameParam: {ref}, "limit": {"2"}})
		if err != nil {
			return zero, err
		}
		matches = l.Items
	case lk.ByName && r.Name != nil:
		l, err := r.All(ctx, c, nil, nil)
		if err != nil {
			return zero, err
		}
		for _, v := range l.Items {
			if r.Name(v) == ref || r.ID(v) == ref {
				matches = append(matches, v)
			}
		}
	}
	switch len(matches) {
	case 0:
		return zero, tc.Errorf(tc.ENotFound, "%s %q not found", r.Kind, ref)
	case 1:
		return matches[0], nil
	}
	ids := make([]string, len(matches))
	for i, m := range matches {
		ids[i] = r.ID(m)
	}
	return zero, cmdutil.FlagErrorf("%d %s are named %q: give an ID (%s)", len(matches), r.plural(), ref, strings.Join(ids, ", "))
}

// FindAll resolves several references; the ones that name nothing are
// returned in missing (each once), any other error stops it.
func (r *Resource[T]) FindAll(ctx context.Context, c *client.Client, refs []string) (found []T, missing []string, err error) {
	seen := map[string]bool{}
	for _, ref := range refs {
		v, err := r.Find(ctx, c, ref)
		switch {
		case err == nil:
			if id := r.ID(v); !seen[id] {
				seen[id] = true
				found = append(found, v)
			}
		case isNotFound(err):
			missing = append(missing, ref)
		default:
			return nil, nil, err
		}
	}
	return found, missing, nil
}

// Missing is the error for references that named nothing (exit 3).
func (r *Resource[T]) Missing(names []string) error {
	if len(names) == 0 {
		return nil
	}
	return &cmdutil.NotFoundError{Kind: r.Kind, Names: names}
}

// Table prints objects as the resource's table.
func (r *Resource[T]) Table(ios *iostreams.IOStreams, items ...T) error {
	headers := make([]string, len(r.Columns))
	for i, col := range r.Columns {
		headers[i] = col.Header
	}
	t := cmdutil.NewTable(ios, headers...)
	for i, col := range r.Columns {
		if col.Color != nil {
			t.Style(i, col.Color)
		}
	}
	for _, v := range items {
		cells := make([]string, len(r.Columns))
		for i, col := range r.Columns {
			if col.TTYValue != nil && ios.IsStdoutTTY() {
				cells[i] = col.TTYValue(v)
			} else {
				cells[i] = col.Value(v)
			}
		}
		t.Row(cells...)
	}
	return t.Flush()
}

// Print prints one object: the API object with -o json|yaml, else its
// Detail view or table row.
func (r *Resource[T]) Print(ctx context.Context, f *cmdutil.Factory, v T) error {
	if f.Output.Structured() {
		return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, v)
	}
	if r.Detail != nil {
		return r.Detail(ctx, f, v)
	}
	return r.Table(f.IOStreams, v)
}

// Complete offers the names (or IDs) of objects as completions for every
// positional argument, described by their ID; errors (no login, tcd down)
// offer nothing.
func (r *Resource[T]) Complete(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return r.Completions(cmd.Context(), f, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteFirst is Complete for the first positional argument only.
func (r *Resource[T]) CompleteFirst(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return r.Completions(cmd.Context(), f, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// Completions lists the objects whose name (or ID) starts with prefix.
func (r *Resource[T]) Completions(ctx context.Context, f *cmdutil.Factory, prefix string) []cobra.Completion {
	c, err := f.Client()
	if err != nil {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	l, err := r.Page(ctx, c, url.Values{"limit": {strconv.Itoa(tc.MaxLimit)}})
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, v := range l.Items {
		name, desc := r.ID(v), ""
		if r.Name != nil && r.Name(v) != "" && r.Name(v) != name {
			name, desc = r.Name(v), r.ID(v)
		}
		if r.Describe != nil {
			desc = r.Describe(v)
		}
		if strings.HasPrefix(name, prefix) {
			out = append(out, cobra.CompletionWithDesc(cmdutil.Safe(name), cmdutil.Safe(desc)))
		}
	}
	return out
}

func isNotFound(err error) bool {
	return tc.ErrorCode(err) == tc.ENotFound
}

func clone(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Names returns the display names (or IDs) of objects.
func (r *Resource[T]) Names(items []T) []string {
	out := make([]string, len(items))
	for i, v := range items {
		out[i] = r.display(v)
	}
	return out
}

func (r *Resource[T]) display(v T) string {
	if r.Name != nil && r.Name(v) != "" {
		return r.Name(v)
	}
	return r.ID(v)
}

// Progress returns a function that shows "what: done/total" on a terminal's
// stderr, rewriting one line, and a function that ends the line. Off a
// terminal both do nothing.
func Progress(ios *iostreams.IOStreams, what string) (update func(done, total int), end func()) {
	if !ios.ErrTTY {
		return func(int, int) {}, func() {}
	}
	shown := false
	return func(done, total int) {
			if total <= tc.MaxLimit && !shown {
				return // one request: nothing to show
			}
			shown = true
			fmt.Fprintf(ios.ErrOut, "\r%s: %s/%s", what, cmdutil.Thousands(done), cmdutil.Thousands(total))
		}, func() {
			if shown {
				fmt.Fprintln(ios.ErrOut)
			}
		}
}
