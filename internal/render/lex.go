package render

import (
	"strings"
	"unicode/utf8"
)

// Context is where a placeholder stands in a TOML document; it decides how
// a value is written there.
type Context uint8

// Contexts of a placeholder.
const (
	CtxValue     Context = iota // bare, where a value stands: key = ::{c}
	CtxKey                      // bare, in a key or a [table] header
	CtxBasic                    // inside "…"
	CtxMLBasic                  // inside """…"""
	CtxLiteral                  // inside '…'
	CtxMLLiteral                // inside '''…'''
	CtxComment                  // inside a # comment
)

var contextNames = [...]string{"a bare value", "a key", `a "…" string`, `a """…""" string`, "a '…' string", "a '''…''' string", "a comment"}

func (c Context) String() string { return contextNames[c] }

// lexer walks a TOML document the way Telegraf's comment remover does
// (strings end at a line break or their closing quote, a backslash outside a
// string hides the next byte, a comment runs to the next '\n') and follows
// just enough of the grammar to tell keys from values and to count how
// deeply arrays and inline tables nest. Placeholders (given as sorted
// tokens, plus ${…} and @{…} in bare text) are atoms.
type lexer struct {
	doc  string
	toks []token

	// comments are the [start, end) ranges of comments, '#' included.
	comments [][2]int
	// maxDepth is the deepest nesting of arrays and inline tables; overAt
	// is the offset of the bracket that first went beyond limit (-1 if none).
	maxDepth int
	limit    int
	overAt   int
}

// lex classifies every token of toks (sorted by start) and records
// comments and nesting. limit 0 means no nesting limit.
func lex(doc string, toks []token, limit int) *lexer {
	l := &lexer{doc: doc, toks: toks, limit: limit, overAt: -1}
	l.run()
	return l
}

func (l *lexer) run() {
	doc := l.doc
	var stack []byte
	key := true     // a bare word here is a key
	header := false // inside a [table] header
	t := 0          // next token
	for i := 0; i < len(doc); {
		next := len(doc)
		if t < len(l.toks) {
			next = l.toks[t].start
		}
		for i < next && !special[doc[i]] {
			i++
		}
		if i >= len(doc) {
			break
		}
		if i == next {
			l.toks[t].ctx = CtxValue
			if key || header {
				l.toks[t].ctx = CtxKey
			}
			i = l.toks[t].end
			t++
			continue
		}
		c := doc[i]
		switch {
		case c == '"' && strings.HasPrefix(doc[i:], `"""`):
			i, t = l.str(i+3, t, `"""`, true, CtxMLBasic, false)
		case c == '"':
			i, t = l.str(i+1, t, `"`, true, CtxBasic, inArray(stack))
		case c == '\'' && strings.HasPrefix(doc[i:], "'''"):
			i, t = l.str(i+3, t, "'''", false, CtxMLLiteral, false)
		case c == '\'':
			i, t = l.str(i+1, t, "'", false, CtxLiteral, inArray(stack))
		case c == '#':
			end := strings.IndexByte(doc[i:], '\n')
			if end < 0 {
				end = len(doc) - i
			}
			for t < len(l.toks) && l.toks[t].start < i+end {
				l.toks[t].ctx = CtxComment
				t++
			}
			l.comments = append(l.comments, [2]int{i, i + end})
			i += end
		case c == '\\':
			i += 2 // Telegraf's comment remover keeps the next byte as it is
		case (c == '$' || c == '@') && i+1 < len(doc) && doc[i+1] == '{':
			if end := strings.IndexByte(doc[i:], '}'); end > 0 && !strings.ContainsAny(doc[i:i+end], "\n\"'") {
				i += end + 1
				continue
			}
			i++
		case c == '\n':
			if len(stack) == 0 {
				key, header = true, false
			}
			i++
		case c == '[':
			switch {
			case len(stack) == 0 && key && !header:
				header = true
				i++
				if i < len(doc) && doc[i] == '[' {
					i++
				}
			default:
				stack = l.push(stack, '[', i)
				key = false
				i++
			}
		case c == ']':
			if header && len(stack) == 0 {
				header, key = false, false
			} else if n := len(stack); n > 0 {
				stack = stack[:n-1]
			}
			i++
		case c == '{':
			stack = l.push(stack, '{', i)
			key = true
			i++
		case c == '}':
			if n := len(stack); n > 0 {
				stack = stack[:n-1]
			}
			key = false
			i++
		case c == '=':
			if !header {
				key = false
			}
			i++
		case c == ',':
			if n := len(stack); n > 0 && stack[n-1] == '{' {
				key = true
			}
			i++
		default:
			i++
		}
	}
	for ; t < len(l.toks); t++ {
		l.toks[t].ctx = CtxValue
	}
}

// special are the bytes the lexer stops at outside strings.
var special = func() (t [256]bool) {
	for _, c := range "\"'#\\$@\n[]{}=," {
		t[c] = true
	}
	return t
}()

// inArray reports whether a string starting here is an array element.
func inArray(stack []byte) bool { return len(stack) > 0 && stack[len(stack)-1] == '[' }

func (l *lexer) push(stack []byte, b byte, at int) []byte {
	stack = append(stack, b)
	if len(stack) > l.maxDepth {
		l.maxDepth = len(stack)
		if l.limit > 0 && l.maxDepth > l.limit && l.overAt < 0 {
			l.overAt = at
		}
	}
	return stack
}

// str skips a string that opened before i and returns the offset after its
// close (a single-line string also ends at a line break, which it keeps
// for the caller) and the next token index, classifying the tokens inside.
func (l *lexer) str(i, t int, quote string, escapes bool, ctx Context, array bool) (int, int) {
	doc := l.doc
	for i < len(doc) {
		next := len(doc)
		if t < len(l.toks) {
			next = l.toks[t].start
		}
		for i < next && doc[i] != quote[0] && doc[i] != '\\' && doc[i] != '\n' {
			i++
		}
		if i >= len(doc) {
			break
		}
		if i == next {
			l.toks[t].ctx = ctx
			l.toks[t].inArray = array
			i = l.toks[t].end
			t++
			continue
		}
		switch {
		case escapes && doc[i] == '\\':
			i += 2
		case strings.HasPrefix(doc[i:], quote):
			return i + len(quote), t
		case len(quote) == 1 && doc[i] == '\n':
			return i, t
		default:
			i++
		}
	}
	return len(doc), t
}

// RemoveComments returns doc without its comments (each '#' up to, not
// including, the next '\n'), decided by the rules of Telegraf's own
// comment remover. Line breaks stay, so line numbers do not change.
func RemoveComments(doc string) string {
	l := lex(doc, nil, 0)
	if len(l.comments) == 0 {
		return doc
	}
	var b strings.Builder
	b.Grow(len(doc))
	last := 0
	for _, c := range l.comments {
		b.WriteString(doc[last:c[0]])
		last = c[1]
	}
	b.WriteString(doc[last:])
	return b.String()
}

// Depth returns how deeply arrays and inline tables nest in doc.
func Depth(doc string) int { return lex(doc, nil, 0).maxDepth }

// position turns a byte offset of doc into a 1-based line and column; the
// column counts characters, not bytes.
func position(doc string, off int) (line, col int) {
	if off > len(doc) {
		off = len(doc)
	}
	line = 1 + strings.Count(doc[:off], "\n")
	start := strings.LastIndexByte(doc[:off], '\n') + 1
	return line, utf8.RuneCountInString(doc[start:off]) + 1
}

// DepthAt returns how deeply arrays and inline tables nest in doc and, when
// that is beyond limit, the line and column of the bracket that went
// beyond it.
func DepthAt(doc string, limit int) (depth, line, col int) {
	l := lex(doc, nil, limit)
	if l.overAt >= 0 {
		line, col = position(doc, l.overAt)
	}
	return l.maxDepth, line, col
}

// FirstConstantUse returns the line and column of the first use of
// constant name outside comments (0, 0 if none).
func FirstConstantUse(tmpl, name string) (line, col int) {
	for _, t := range scan(tmpl) {
		if t.constant && t.name == name && t.ctx != CtxComment {
			return position(tmpl, t.start)
		}
	}
	return 0, 0
}
