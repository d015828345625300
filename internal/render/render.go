// Package render turns stored TOML templates into what Telegraf receives:
// constants ::{name} and parameters &{name} / &{name:default} are
// substituted, ${…} and @{…} are left for the agent. It also validates TOML
// (with line and column) and diffs versions. Everything here is a pure
// function of its inputs.
package render

import (
	"fmt"
	"net/url"
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
	comment    bool // inside a TOML comment
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
	markComments(tmpl, toks)
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
		if t.constant || t.comment {
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

// Render substitutes constants and parameters in one pass, left to right;
// substituted text is never scanned again, so a value cannot inject another
// placeholder. Each parameter value is escaped for a TOML basic string;
// repeated values are joined with `", "`. ${…} and @{…} pass through.
//
// Errors: *UndefinedConstantsError and *MissingParamsError, each listing
// every offending name (sorted); undefined constants are reported first.
func Render(tmpl string, constants map[string]string, query url.Values) (string, error) {
	toks := scan(tmpl)
	var undefined, missing []string
	seenU, seenM := map[string]bool{}, map[string]bool{}
	for _, t := range toks {
		if t.comment {
			continue // a comment never makes a placeholder required
		}
		if t.constant {
			if _, ok := constants[t.name]; !ok && !seenU[t.name] {
				seenU[t.name] = true
				undefined = append(undefined, t.name)
			}
			continue
		}
		if _, ok := query[t.name]; !ok && !t.hasDef && !seenM[t.name] {
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
		return tmpl, nil
	}
	var b strings.Builder
	b.Grow(len(tmpl) + len(tmpl)/8)
	last := 0
	for _, t := range toks {
		b.WriteString(tmpl[last:t.start])
		last = t.end
		if t.constant {
			v, ok := constants[t.name]
			if !ok { // only possible in a comment
				v = tmpl[t.start:t.end]
			}
			b.WriteString(v)
			continue
		}
		vals, ok := query[t.name]
		if !ok {
			if t.hasDef {
				b.WriteString(t.def)
			} else { // only possible in a comment
				b.WriteString(tmpl[t.start:t.end])
			}
			continue
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteString(ParamJoin)
			}
			b.WriteString(EscapeValue(v))
		}
	}
	b.WriteString(tmpl[last:])
	return b.String(), nil
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
// naming its source. An empty group is an empty document.
func Group(groupName string, sections []Section) string {
	var b strings.Builder
	for i, s := range sections {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "# ---- config %q (%s), member %d of %d of group %q ----\n", s.Name, s.ID, i+1, len(sections), groupName)
		b.WriteString(s.TOML)
		if !strings.HasSuffix(s.TOML, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// markComments flags the tokens that sit inside TOML comments. It follows
// TOML's lexical rules just far enough to know where comments are: a '#'
// outside basic, literal and multi-line strings starts a comment that ends
// at the line break.
func markComments(doc string, toks []token) {
	if len(toks) == 0 || !strings.Contains(doc, "#") {
		return
	}
	var ranges [][2]int
	for i := 0; i < len(doc); {
		switch {
		case strings.HasPrefix(doc[i:], `"""`):
			i = skipString(doc, i+3, `"""`, true)
		case strings.HasPrefix(doc[i:], "'''"):
			i = skipString(doc, i+3, "'''", false)
		case doc[i] == '"':
			i = skipString(doc, i+1, `"`, true)
		case doc[i] == '\'':
			i = skipString(doc, i+1, "'", false)
		case doc[i] == '#':
			end := strings.IndexByte(doc[i:], '\n')
			if end < 0 {
				end = len(doc) - i
			}
			ranges = append(ranges, [2]int{i, i + end})
			i += end
		default:
			i++
		}
	}
	r := 0
	for k := range toks {
		for r < len(ranges) && ranges[r][1] <= toks[k].start {
			r++
		}
		if r < len(ranges) && ranges[r][0] <= toks[k].start {
			toks[k].comment = true
		}
	}
}

// skipString returns the index after the string closed by quote that
// starts at i; single-line strings also end at a line break (a syntax error
// the validator reports; here it only limits the damage).
func skipString(doc string, i int, quote string, escapes bool) int {
	for i < len(doc) {
		switch {
		case escapes && doc[i] == '\\':
			i += 2
		case strings.HasPrefix(doc[i:], quote):
			return i + len(quote)
		case len(quote) == 1 && doc[i] == '\n':
			return i
		default:
			i++
		}
	}
	return len(doc)
}
