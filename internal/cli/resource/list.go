package resource

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Filter is one flag of a list verb that narrows it.
type Filter struct {
	Flag, Shorthand, Usage string
	// Param is the query parameter the value goes to.
	Param string
	// Multi makes the flag repeatable and comma-separated. The values go
	// as one repeated parameter (label=a&label=b: all must match), or
	// comma-joined when Join is set (status=ok,warn: any matches).
	Multi, Join bool
	// Values, when set, are the only values allowed (checked here, exit 2)
	// and the completions.
	Values []string
	// Bool makes it a flag without a value that sends Param=true.
	Bool bool
	// Parse turns a flag value into the parameter's value (e.g. --since 7d
	// into a time); its errors are usage errors.
	Parse func(string) (string, error)
	// Resolve turns a reference (a name) into what tcd takes. One that
	// names nothing gives an empty list and a note on stderr, not an
	// error: a filter on a label nobody made matches nothing.
	Resolve func(ctx context.Context, c *client.Client, ref string) (string, error)
	// Complete completes the flag's value from tcd.
	Complete func(f *cmdutil.Factory) cobra.CompletionFunc
}

// Help is the help text of a generated verb.
type Help struct {
	Use, Short, Long, Example string
	Aliases                   []string
}

// ListOptions are the inputs of a generated list verb.
type ListOptions struct {
	Limit, Offset int
	All           bool
	Sort          string
	Desc          bool
	values        map[string]*[]string
	single        map[string]*string
	flags         map[string]*bool
}

// NewListCmd builds the list verb of r.
func NewListCmd[T any](f *cmdutil.Factory, r *Resource[T], h Help) *cobra.Command {
	opts := NewListOptions()
	if h.Use == "" {
		h.Use = "list"
	}
	cmd := &cobra.Command{
		Use: h.Use, Short: h.Short, Long: h.Long + listLong(r), Example: h.Example,
		Aliases: append([]string{"ls"}, h.Aliases...),
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runList(cmd, f, r, opts)
		},
	}
	AddListFlags(cmd, f, r, opts)
	return cmd
}

func listLong[T any](r *Resource[T]) string {
	return fmt.Sprintf(`

Without --all one page is shown (--limit, default 100, at most %d; --offset)
and a note on stderr says when there are more; --all fetches every page and
is the default with -o json|yaml. --sort FIELD (%s) and --desc order the list.`,
		tc.MaxLimit, strings.Join(sortKeys(r), ", "))
}

// AddListFlags adds the paging, sorting and filter flags of r to cmd.
func AddListFlags[T any](cmd *cobra.Command, f *cmdutil.Factory, r *Resource[T], opts *ListOptions) {
	fl := cmd.Flags()
	if r.Paged {
		fl.IntVar(&opts.Limit, "limit", 0, fmt.Sprintf("number of %s per page (default %d, at most %d)", r.plural(), tc.DefaultLimit, tc.MaxLimit))
		fl.IntVar(&opts.Offset, "offset", 0, fmt.Sprintf("number of %s to skip", r.plural()))
		fl.BoolVar(&opts.All, "all", false, "fetch every page (default with -o json|yaml)")
	}
	fl.StringVar(&opts.Sort, "sort", "", "sort by this field: "+strings.Join(sortKeys(r), ", "))
	fl.BoolVar(&opts.Desc, "desc", false, "sort in descending order")
	_ = cmd.RegisterFlagCompletionFunc("sort", cobra.FixedCompletions(sortKeys(r), cobra.ShellCompDirectiveNoFileComp))
	AddFilterFlags(cmd, f, r, opts)
}

// NewListOptions returns empty list options (for AddFilterFlags).
func NewListOptions() *ListOptions {
	return &ListOptions{values: map[string]*[]string{}, single: map[string]*string{}, flags: map[string]*bool{}}
}

// AddFilterFlags adds only the filter flags of r to cmd (for verbs such as
// agent summary that take a list's filters).
func AddFilterFlags[T any](cmd *cobra.Command, f *cmdutil.Factory, r *Resource[T], opts *ListOptions) {
	fl := cmd.Flags()
	for _, flt := range r.Filters {
		usage := flt.Usage
		if flt.Values != nil {
			usage += ": " + strings.Join(flt.Values, ", ")
		}
		if flt.Bool {
			v := new(bool)
			opts.flags[flt.Flag] = v
			fl.BoolVarP(v, flt.Flag, flt.Shorthand, false, usage)
			continue
		}
		if flt.Multi {
			v := new([]string)
			opts.values[flt.Flag] = v
			fl.StringSliceVarP(v, flt.Flag, flt.Shorthand, nil, usage+" (repeatable, comma-separated)")
		} else {
			v := new(string)
			opts.single[flt.Flag] = v
			fl.StringVarP(v, flt.Flag, flt.Shorthand, "", usage)
		}
		switch {
		case flt.Values != nil:
			_ = cmd.RegisterFlagCompletionFunc(flt.Flag, cobra.FixedCompletions(flt.Values, cobra.ShellCompDirectiveNoFileComp))
		case flt.Complete != nil:
			_ = cmd.RegisterFlagCompletionFunc(flt.Flag, flt.Complete(f))
		}
	}
}

// Query turns the filter flags into query parameters. matchNothing is set
// (with a note printed) when a filter names a label, rule or config that
// does not exist.
func Query[T any](ctx context.Context, f *cmdutil.Factory, c *client.Client, r *Resource[T], opts *ListOptions) (q url.Values, matchNothing bool, err error) {
	q = url.Values{}
	for _, flt := range r.Filters {
		var vals []string
		if p := opts.flags[flt.Flag]; p != nil {
			if *p {
				q.Set(flt.Param, "true")
			}
			continue
		}
		if p := opts.values[flt.Flag]; p != nil {
			vals = *p
		} else if p := opts.single[flt.Flag]; p != nil && *p != "" {
			vals = []string{*p}
		}
		var sent []string
		for _, v := range vals {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if flt.Values != nil {
				canon, ok := oneOf(flt.Values, v)
				if !ok {
					return nil, false, cmdutil.FlagErrorf("--%s %q: use one of %s", flt.Flag, v, strings.Join(flt.Values, ", "))
				}
				v = canon
			}
			if flt.Parse != nil {
				if v, err = flt.Parse(v); err != nil {
					return nil, false, cmdutil.FlagErrorf("--%s: %v", flt.Flag, err)
				}
			}
			if flt.Resolve != nil && c != nil {
				id, err := flt.Resolve(ctx, c, v)
				if isNotFound(err) {
					cmdutil.Notef(f.IOStreams, "note: --%s %s: %s, so no %s match", flt.Flag, v, tc.ErrorMessage(err), r.plural())
					return nil, true, nil
				}
				if err != nil {
					return nil, false, err
				}
				v = id
			}
			sent = append(sent, v)
		}
		if len(sent) == 0 {
			continue
		}
		if flt.Join {
			q.Set(flt.Param, strings.Join(sent, ","))
		} else {
			q[flt.Param] = sent
		}
	}
	return q, false, nil
}

func runList[T any](cmd *cobra.Command, f *cmdutil.Factory, r *Resource[T], opts *ListOptions) error {
	ctx := cmd.Context()
	if opts.Limit < 0 || opts.Limit > tc.MaxLimit {
		return cmdutil.FlagErrorf("--limit must be between 1 and %d", tc.MaxLimit)
	}
	if opts.Offset < 0 {
		return cmdutil.FlagErrorf("--offset must not be negative")
	}
	paging := cmd.Flags().Changed("limit") || cmd.Flags().Changed("offset")
	all := opts.All
	if !cmd.Flags().Changed("all") {
		all = f.Output.Structured() && !paging
	} else if all && paging {
		return cmdutil.FlagErrorf("--all fetches every page: leave out --limit and --offset")
	}
	local := false
	if opts.Sort != "" {
		if !contains(sortKeys(r), opts.Sort) {
			return cmdutil.FlagErrorf("--sort %q: sort by one of %s", opts.Sort, strings.Join(sortKeys(r), ", "))
		}
		local = r.SortKeys == nil
	}
	if local || (opts.Desc && r.SortKeys == nil) {
		all, local = true, true // sorted here: over everything
	}
	c, err := f.Client()
	if err != nil {
		return err
	}
	q, nothing, err := Query(ctx, f, c, r, opts)
	if err != nil {
		return err
	}
	var list tc.List[T]
	if !nothing {
		switch {
		case local:
		case r.SortQuery != nil:
			r.SortQuery(q, opts.Sort, opts.Desc)
		default:
			if opts.Sort != "" {
				q.Set("sort", opts.Sort)
			}
			if opts.Desc {
				q.Set("order", "desc")
			}
		}
		if all {
			update, end := Progress(f.IOStreams, "fetching "+r.plural())
			list, err = r.All(ctx, c, q, update)
			end()
		} else {
			if opts.Limit > 0 {
				q.Set("limit", strconv.Itoa(opts.Limit))
			}
			if opts.Offset > 0 {
				q.Set("offset", strconv.Itoa(opts.Offset))
			}
			list, err = r.Page(ctx, c, q)
			list.Offset = opts.Offset
		}
		if err != nil {
			return err
		}
		if local {
			if err := sortLocal(list.Items, opts.Sort, opts.Desc); err != nil {
				return err
			}
		}
	}
	return PrintList(f, r, list, paging)
}

// PrintList prints a list: the items with -o json|yaml ([] when empty);
// otherwise "No <plural> found" on stderr, or the table. When the list
// holds fewer objects than match, a note on stderr says so.
func PrintList[T any](f *cmdutil.Factory, r *Resource[T], list tc.List[T], paging bool) error {
	ios := f.IOStreams
	if f.Output.Structured() {
		if err := cmdutil.PrintStructured(ios.Out, f.Output, cmdutil.Items(list.Items)); err != nil {
			return err
		}
	} else if len(list.Items) == 0 {
		cmdutil.Notef(ios, "No %s found", r.plural())
	} else if err := r.Table(ios, list.Items...); err != nil {
		return err
	}
	if shown := len(list.Items); shown > 0 && list.Total > list.Offset+shown {
		if paging {
			cmdutil.Notef(ios, "showing %s–%s of %s %s", cmdutil.Thousands(list.Offset+1), cmdutil.Thousands(list.Offset+shown), cmdutil.Thousands(list.Total), r.plural())
		} else {
			cmdutil.Notef(ios, "showing %s of %s %s; use --all", cmdutil.Thousands(shown), cmdutil.Thousands(list.Total), r.plural())
		}
	}
	return nil
}

// oneOf returns the value of list that s names, case-insensitively.
func oneOf(list []string, s string) (string, bool) {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return v, true
		}
	}
	return "", false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// sortKeys are the keys --sort takes: the server's, or the JSON fields of T.
func sortKeys[T any](r *Resource[T]) []string {
	if r.SortKeys != nil {
		return r.SortKeys
	}
	var zero T
	return jsonFields(reflect.TypeOf(zero))
}

func jsonFields(t reflect.Type) []string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case sf.Anonymous && name == "":
			out = append(out, jsonFields(sf.Type)...)
		case name != "":
			out = append(out, name)
		}
	}
	return out
}

// sortLocal orders items by the JSON field key (strings case-insensitively,
// numbers and booleans by value, missing values first); stable, so equal
// keys keep tcd's order.
func sortLocal[T any](items []T, key string, desc bool) error {
	if key == "" {
		if desc {
			for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
				items[i], items[j] = items[j], items[i]
			}
		}
		return nil
	}
	vals := make([]any, len(items))
	for i, v := range items {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		vals[i] = m[key]
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		c := compare(vals[idx[a]], vals[idx[b]])
		if desc {
			return c > 0
		}
		return c < 0
	})
	sorted := make([]T, len(items))
	for i, j := range idx {
		sorted[i] = items[j]
	}
	copy(items, sorted)
	return nil
}

func compare(a, b any) int {
	switch x := a.(type) {
	case nil:
		if b == nil {
			return 0
		}
		return -1
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(strings.ToLower(x), strings.ToLower(y))
		}
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	}
	if b == nil {
		return 1
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}
