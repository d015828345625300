// Package render turns stored TOML templates into what Telegraf receives:
// constants ::{name} and parameters &{name} / &{name:default} are
// substituted, ${…} and @{…} are left for the agent. It also validates TOML
// (with line and column) and diffs versions. Everything here is a pure
// function of its inputs.
package render

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// ParamJoin joins repeated query values of one parameter.
const ParamJoin = `", "`

// MissingParamsError lists required parameters the query did not give.
type MissingParamsError struct{ Names []string }

func (e *MissingParamsError) Error() string {
	return "missing required parameters: " + strings.Join(e.Names, ", ")
}

// UndefinedConstantsError lists constants the template uses that do not exist.
type UndefinedConstantsError struct{ Names []string }

func (e *UndefinedConstantsError) Error() string {
	return "undefined constants: " + strings.Join(e.Names, ", ")
}

// Param is one parameter reference of a template.
type Param struct {
	Name       string `json:"name"`
	Default    string `json:"default,omitempty"`
	HasDefault bool   `json:"hasDefault"`
}

// token is one placeholder found in a template: [start, end) in the text.
type token struct {
	start, end int
	constant   bool
	ctx        Context
	inArray    bool // in a string that is an array element
	name       string
	def        string
	hasDef     bool
}

func isNameByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		return true
	case c >= '0' && c <= '9':
		return true
	case !first && (c == '.' || c == '-'):
		return true
	}
	return false
}

// scan finds the placeholders of tmpl, left to right. A "::{" or "&{" that
// is not followed by a well-formed reference is ordinary text.
//
//	constant:  ::{NAME}            NAME = [A-Za-z_][A-Za-z0-9_]{0,127}
//	parameter: &{NAME} | &{NAME:DEFAULT}
//	           NAME = [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; DEFAULT has no '}' or line break
func scan(tmpl string) []token {
	toks := scanTokens(tmpl)
	if len(toks) > 0 {
		lex(tmpl, toks, 0)
	}
	return toks
}

func scanTokens(tmpl string) []token {
	var out []token
	for i := 0; i < len(tmpl); {
		switch {
		case strings.HasPrefix(tmpl[i:], "::{"):
			if t, ok := scanConstant(tmpl, i); ok {
				out = append(out, t)
				i = t.end
				continue
			}
		case strings.HasPrefix(tmpl[i:], "&{"):
			if t, ok := scanParam(tmpl, i); ok {
				out = append(out, t)
				i = t.end
				continue
			}
		}
		i++
	}
	return out
}

func scanConstant(s string, at int) (token, bool) {
	j := at + 3
	start := j
	for j < len(s) && j-start < 128 {
		c := s[j]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (j > start && c >= '0' && c <= '9') {
			j++
			continue
		}
		break
	}
	if j == start || j >= len(s) || s[j] != '}' {
		return token{}, false
	}
	return token{start: at, end: j + 1, constant: true, name: s[start:j]}, true
}

func scanParam(s string, at int) (token, bool) {
	j := at + 2
	start := j
	for j < len(s) && j-start < 128 && isNameByte(s[j], j == start) {
		j++
	}
	if j == start || j >= len(s) {
		return token{}, false
	}
	t := token{start: at, name: s[start:j]}
	switch s[j] {
	case '}':
		t.end = j + 1
		return t, true
	case ':':
		k := j + 1
		for k < len(s) && s[k] != '}' && s[k] != '\n' && s[k] != '\r' {
			k++
		}
		if k >= len(s) || s[k] != '}' {
			return token{}, false
		}
		t.def, t.hasDef, t.end = s[j+1:k], true, k+1
		return t, true
	}
	return token{}, false
}

// Constants returns the distinct constant names tmpl references, sorted.
func Constants(tmpl string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range scan(tmpl) {
		if t.constant && !seen[t.name] {
			seen[t.name] = true
			out = append(out, t.name)
		}
	}
	sort.Strings(out)
	return out
}

// References reports whether tmpl references the constant name.
func References(tmpl, name string) bool {
	if !strings.Contains(tmpl, "::{"+name+"}") {
		return false
	}
	for _, c := range Constants(tmpl) {
		if c == name {
			return true
		}
	}
	return false
}

// Params returns the parameters tmpl references, in order of first use. A
// parameter is required unless one of its uses has a default.
func Params(tmpl string) []Param {
	idx := map[string]int{}
	var out []Param
	for _, t := range scan(tmpl) {
		if t.constant || t.ctx == CtxComment {
			continue
		}
		i, ok := idx[t.name]
		if !ok {
			idx[t.name] = len(out)
			out = append(out, Param{Name: t.name, Default: t.def, HasDefault: t.hasDef})
			continue
		}
		if t.hasDef && !out[i].HasDefault {
			out[i].Default, out[i].HasDefault = t.def, true
		}
	}
	return out
}

// EscapeValue escapes a query value for the inside of a TOML basic string
// ("…"): backslash, double quote and control characters.
func EscapeValue(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Options tune RenderWith.
type Options struct {
	// MaxBytes stops a render whose output would grow beyond it with a
	// *TooLargeError (0: no limit). The render never builds more than
	// MaxBytes of output.
	MaxBytes int
	// Fill gives every required parameter the query lacks a neutral value
	// of the kind its context needs ("x" in strings and keys, 0 as a bare
	// value) instead of failing: the render a write is checked with.
	Fill bool
	// FillConstants gives undefined constants a neutral value too (a check
	// without a server: tcctl config validate).
	FillConstants bool
}

// Render is RenderWith without limits.
func Render(tmpl string, constants map[string]string, query url.Values) (string, error) {
	return RenderWith(tmpl, constants, query, Options{})
}

// RenderWith substitutes constants and parameters in one pass, left to
// right; substituted text is never scanned again, so a value cannot inject
// another placeholder. Every value (constant, query value or default) is
// written for the TOML context it stands in (see Encode); repeated query
// values inside a string become the elements of an array: urls =
// ["&{urls}"] with ?urls=a&urls=b gives ["a", "b"]. ${…} and @{…} pass
// through.
//
// Errors: *UndefinedConstantsError and *MissingParamsError, each listing
// every offending name (sorted; undefined constants first), *ValueError for
// a value its context cannot hold, *TooLargeError past o.MaxBytes.
func RenderWith(tmpl string, constants map[string]string, query url.Values, o Options) (string, error) {
	toks := scan(tmpl)
	var undefined, missing []string
	seenU, seenM := map[string]bool{}, map[string]bool{}
	for _, t := range toks {
		if t.ctx == CtxComment {
			continue // a comment never makes a placeholder required
		}
		if t.constant {
			if _, ok := constants[t.name]; !ok && !o.FillConstants && !seenU[t.name] {
				seenU[t.name] = true
				undefined = append(undefined, t.name)
			}
			continue
		}
		if _, ok := query[t.name]; !ok && !t.hasDef && !o.Fill && !seenM[t.name] {
			seenM[t.name] = true
			missing = append(missing, t.name)
		}
	}
	if len(undefined) > 0 {
		sort.Strings(undefined)
		return "", &UndefinedConstantsError{Names: undefined}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", &MissingParamsError{Names: missing}
	}
	if len(toks) == 0 {
		if o.MaxBytes > 0 && len(tmpl) > o.MaxBytes {
			return "", &TooLargeError{Limit: o.MaxBytes}
		}
		return tmpl, nil
	}
	w := &capWriter{max: o.MaxBytes}
	grow := len(tmpl) + len(tmpl)/8
	if o.MaxBytes > 0 && grow > o.MaxBytes {
		grow = o.MaxBytes
	}
	w.buf = make([]byte, 0, grow)
	memo := map[memoKey]string{}
	last := 0
	for _, t := range toks {
		if err := w.write(tmpl[last:t.start]); err != nil {
			return "", err
		}
		last = t.end
		var (
			v   string
			err error
		)
		if t.constant {
			c, ok := constants[t.name]
			switch {
			case !ok && o.FillConstants && t.ctx != CtxComment:
				v = neutral(t.ctx)
			case !ok: // only possible in a comment
				v = tmpl[t.start:t.end]
			default:
				// Each constant is encoded once per context: a value used
				// thousands of times costs its size once, not per use.
				k := memoKey{t.name, t.ctx}
				var hit bool
				if v, hit = memo[k]; !hit {
					if v, err = Encode(t.ctx, c); err == nil {
						memo[k] = v
					}
				}
			}
			if err != nil {
				return "", valueError(tmpl, t, "constant", err)
			}
		} else {
			vals, ok := query[t.name]
			switch {
			case ok:
				v, err = encodeAll(t, vals)
			case t.hasDef:
				v, err = Encode(t.ctx, t.def)
			case o.Fill && t.ctx != CtxComment:
				v = neutral(t.ctx)
			default: // only possible in a comment
				v = tmpl[t.start:t.end]
			}
			if err != nil {
				return "", valueError(tmpl, t, "parameter", err)
			}
		}
		if err := w.write(v); err != nil {
			return "", err
		}
	}
	if err := w.write(tmpl[last:]); err != nil {
		return "", err
	}
	return string(w.buf), nil
}

type memoKey struct {
	name string
	ctx  Context
}

// TooLargeError is a render that would exceed the rendered-size limit.
type TooLargeError struct{ Limit int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the rendered config would be larger than the limit of %d bytes", e.Limit)
}

// ValueError is a constant or parameter value that cannot stand where the
// template puts it.
type ValueError struct {
	Kind         string // constant or parameter
	Name         string
	Line, Column int // of the placeholder in the template
	Context      Context
	Reason       string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("line %d, column %d: the value of %s %q cannot stand in %s: %s", e.Line, e.Column, e.Kind, e.Name, e.Context, e.Reason)
}

func valueError(tmpl string, t token, kind string, err error) error {
	line, col := position(tmpl, t.start)
	return &ValueError{Kind: kind, Name: t.name, Line: line, Column: col, Context: t.ctx, Reason: err.Error()}
}

// capWriter builds a render without ever holding more than max bytes (nor
// allocating a buffer beyond max).
type capWriter struct {
	buf []byte
	max int
}

func (w *capWriter) write(s string) error {
	need := len(w.buf) + len(s)
	if w.max > 0 && need > w.max {
		return &TooLargeError{Limit: w.max}
	}
	if need > cap(w.buf) {
		n := 2 * cap(w.buf)
		if n < need {
			n = need
		}
		if w.max > 0 && n > w.max {
			n = w.max
		}
		grown := make([]byte, len(w.buf), n)
		copy(grown, w.buf)
		w.buf = grown
	}
	w.buf = append(w.buf, s...)
	return nil
}

// neutral is the value a missing parameter gets in a write-time check.
func neutral(ctx Context) string {
	if ctx == CtxValue {
		return "0"
	}
	return "x"
}

func encodeAll(t token, vals []string) (string, error) {
	ctx := t.ctx
	if len(vals) == 1 {
		return Encode(ctx, vals[0])
	}
	var sep string
	switch {
	case ctx == CtxBasic && t.inArray:
		sep = ParamJoin
	case ctx == CtxLiteral && t.inArray:
		sep = "', '"
	case ctx == CtxComment:
		sep = ", "
	default:
		return "", fmt.Errorf(`it is given %d times, which works only inside a string that is an array element (urls = ["&{urls}"])`, len(vals))
	}
	var b strings.Builder
	for i, v := range vals {
		e, err := Encode(ctx, v)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(e)
	}
	return b.String(), nil
}

// Encode writes value v for context ctx:
//
//   - "…", """…""" and comments: backslash, double quote and control
//     characters escaped (EscapeValue), so the value reads back exactly;
//   - '…': as it is; a ' or a control character other than TAB cannot be
//     written there (error);
//   - ”'…”': as it is; two ' in a row, a ' at either end or a control
//     character other than TAB and line breaks cannot (error);
//   - a key or [table] header: letters, digits, '_' and '-' only;
//   - a bare value: v must be one TOML value on one line (1000, true,
//     ["a", "b"], { a = 1 }) and is written as it is.
func Encode(ctx Context, v string) (string, error) {
	switch ctx {
	case CtxBasic, CtxMLBasic, CtxComment:
		return EscapeValue(v), nil
	case CtxLiteral:
		for _, r := range v {
			if r == '\'' {
				return "", errors.New(`it contains ' (use a "…" string there instead)`)
			}
			if (r < 0x20 && r != '\t') || r == 0x7f {
				return "", fmt.Errorf(`it contains the control character %U (use a "…" string there instead)`, r)
			}
		}
		return v, nil
	case CtxMLLiteral:
		if strings.Contains(v, "''") || strings.HasPrefix(v, "'") || strings.HasSuffix(v, "'") {
			return "", errors.New(`it has ' at an end or two in a row, which could close the string (use a """…""" string there instead)`)
		}
		for _, r := range v {
			if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
				return "", fmt.Errorf("it contains the control character %U", r)
			}
		}
		return v, nil
	case CtxKey:
		if v == "" {
			return "", errors.New("a key cannot be empty")
		}
		for i := 0; i < len(v); i++ {
			if !isBareKeyByte(v[i]) {
				return "", fmt.Errorf("a bare key holds only letters, digits, '_' and '-' (found %q)", v[i:i+1])
			}
		}
		return v, nil
	}
	if err := checkBareValue(v); err != nil {
		return "", err
	}
	return v, nil
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// CanonicalQuery is a stable form of a query for cache keys: keys sorted,
// the order of repeated values kept (it changes the output).
func CanonicalQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// Section is one member of a group document.
type Section struct {
	Name string
	ID   string
	TOML string // already rendered
}

// Group concatenates rendered members in order, each headed by a comment
// naming its source; a byte-order mark at the start of a member is
// dropped (Telegraf drops only the document's first). An empty group is an
// empty document.
func Group(groupName string, sections []Section) string {
	doc, _ := GroupLines(groupName, sections)
	return doc
}

// GroupLines is Group that also returns, for each member, the line of the
// document its first line lands on.
func GroupLines(groupName string, sections []Section) (string, []int) {
	var b strings.Builder
	starts := make([]int, len(sections))
	line := 1
	for i, s := range sections {
		body := strings.TrimPrefix(s.TOML, "\ufeff")
		if i > 0 {
			b.WriteByte('\n')
			line++
		}
		fmt.Fprintf(&b, "# ---- config %q (%s), member %d of %d of group %q ----\n", s.Name, s.ID, i+1, len(sections), groupName)
		line++
		starts[i] = line
		b.WriteString(body)
		line += strings.Count(body, "\n")
		if !strings.HasSuffix(body, "\n") {
			b.WriteByte('\n')
			line++
		}
	}
	return b.String(), starts
}

// QueryNames returns the distinct names of every parameter placeholder of
// tmpl, sorted: the only query parameters RenderWith reads. A placeholder in
// a comment counts (a value given for it is substituted), unlike in Params.
// A render of tmpl is a function of the query restricted to these names.
func QueryNames(tmpl string) []string {
	var out []string
	for _, t := range scanTokens(tmpl) {
		if !t.constant {
			out = append(out, t.name)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// CanonicalSubset is CanonicalQuery of the query restricted to names
// (sorted, distinct), appended to prefix: prefix itself, without
// allocating, when the query has none of them. A name given with no value
// is written as the bare name, so it differs from an absent one.
func CanonicalSubset(prefix string, q url.Values, names []string) string {
	if !hasAny(q, names) {
		return prefix
	}
	return string(AppendCanonicalSubset(make([]byte, 0, len(prefix)+64), prefix, q, names))
}

func hasAny(q url.Values, names []string) bool {
	for _, k := range names {
		if _, ok := q[k]; ok {
			return true
		}
	}
	return false
}

// AppendCanonicalSubset appends CanonicalSubset(prefix, q, names) to dst.
func AppendCanonicalSubset(dst []byte, prefix string, q url.Values, names []string) []byte {
	dst = append(dst, prefix...)
	first := true
	for _, k := range names {
		vs, ok := q[k]
		if !ok {
			continue
		}
		if len(vs) == 0 {
			dst = appendSep(dst, &first)
			dst = appendEscaped(dst, k)
			continue
		}
		for _, v := range vs {
			dst = appendSep(dst, &first)
			dst = appendEscaped(dst, k)
			dst = append(dst, '=')
			dst = appendEscaped(dst, v)
		}
	}
	return dst
}

func appendSep(dst []byte, first *bool) []byte {
	if !*first {
		dst = append(dst, '&')
	}
	*first = false
	return dst
}

// appendEscaped appends url.QueryEscape(s), allocating only when s needs
// escaping.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return append(dst, url.QueryEscape(s)...)
		}
	}
	return append(dst, s...)
}
