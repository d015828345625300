package render

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/influxdata/toml"
)

// syntaxCheck walks doc (comments already removed) by the grammar of
// Telegraf's TOML parser (github.com/influxdata/toml: TOML 0.4 with quirks)
// and returns the byte offset of the first thing that grammar refuses and
// a hint for the user. It does not decide validity — the parser does — it
// only says where and why, since the parser reports a line and nothing
// else.
func syntaxCheck(doc string) (off int, hint string, found bool) {
	p := &synParser{s: doc, err: -1}
	p.document()
	if p.err < 0 {
		return 0, "", false
	}
	return p.err, p.hint, true
}

type synParser struct {
	s    string
	i    int
	err  int
	hint string
}

func (p *synParser) fail(at int, format string, args ...any) bool {
	if p.err < 0 {
		p.err, p.hint = at, fmt.Sprintf(format, args...)
	}
	return false
}

func (p *synParser) eof() bool { return p.i >= len(p.s) }

func (p *synParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// wsnl skips blanks and line breaks (and comments, where any are left).
func (p *synParser) wsnl() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		case '#':
			p.skipComment()
		default:
			return
		}
	}
}

func (p *synParser) skipComment() {
	for p.i < len(p.s) && p.s[p.i] != '\n' && p.s[p.i] != '\r' {
		p.i++
	}
}

func (p *synParser) document() {
	for {
		p.ws()
		if p.eof() {
			return
		}
		switch c := p.s[p.i]; {
		case c == '\r' || c == '\n':
			p.i++
			continue
		case c == '#':
			p.skipComment()
			continue
		case c == '[':
			if !p.table() {
				return
			}
			p.ws()
			if !p.eof() && p.s[p.i] != '\r' && p.s[p.i] != '\n' && p.s[p.i] != '#' && !p.keyval() {
				return
			}
		default:
			if !p.keyval() {
				return
			}
		}
		p.ws()
		if p.eof() {
			return
		}
		switch c := p.s[p.i]; c {
		case '\r', '\n':
		case '#':
			p.skipComment()
		default:
			p.unexpected("after the value: one key = value per line")
			return
		}
	}
}

func (p *synParser) unexpected(what string) bool {
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	if p.s[p.i] == '.' && what == "" {
		return p.fail(p.i, "dotted keys (a.b = …) are not supported by Telegraf's TOML parser: use a [table] header or an inline table")
	}
	return p.fail(p.i, "unexpected %q %s", r, what)
}

func (p *synParser) table() bool {
	p.i++
	arr := !p.eof() && p.s[p.i] == '['
	if arr {
		p.i++
	}
	for {
		p.ws()
		if !p.key() {
			return false
		}
		p.ws()
		if !p.eof() && p.s[p.i] == '.' {
			p.i++
			continue
		}
		break
	}
	closing := "]"
	if arr {
		closing = "]]"
	}
	if !strings.HasPrefix(p.s[p.i:], closing) {
		if p.eof() {
			return p.fail(p.i, "the table header is not closed with %s", closing)
		}
		return p.unexpected("in the table header (closed by " + closing + ")")
	}
	p.i += len(closing)
	return true
}

func (p *synParser) key() bool {
	if p.eof() {
		return p.fail(p.i, "a key is missing")
	}
	switch c := p.s[p.i]; {
	case isBareKeyByte(c):
		for !p.eof() && isBareKeyByte(p.s[p.i]) {
			p.i++
		}
		return true
	case c == '"':
		return p.basic()
	case c == '\'':
		return p.fail(p.i, `single-quoted ('…') keys are not supported by Telegraf's TOML parser: write "…"`)
	}
	return p.unexpected("where a key should be (keys are letters, digits, '_' and '-', or \"quoted\")")
}

func (p *synParser) keyval() bool {
	if !p.key() {
		return false
	}
	p.ws()
	if p.eof() || p.s[p.i] != '=' {
		if !p.eof() && p.s[p.i] == '.' {
			return p.unexpected("")
		}
		if p.eof() || p.s[p.i] == '\n' || p.s[p.i] == '\r' {
			return p.fail(p.i, "a key needs = and a value")
		}
		return p.unexpected("after the key (expected =)")
	}
	p.i++
	p.ws()
	return p.value()
}

var (
	reInt      = regexp.MustCompile(`^[-+]?([1-9](_?[0-9])+|[0-9])$`)
	reFloat    = regexp.MustCompile(`^[-+]?([1-9](_?[0-9])+|[0-9])((\.[0-9](_?[0-9])*)([eE][-+]?[0-9](_?[0-9])*)?|(\.[0-9](_?[0-9])*)?[eE][-+]?[0-9](_?[0-9])*)$`)
	reDatetime = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2})?)?|[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?)$`)
	reDate     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

func (p *synParser) value() bool {
	if p.eof() {
		return p.fail(p.i, "a value is missing after =")
	}
	switch c := p.s[p.i]; c {
	case '"':
		if strings.HasPrefix(p.s[p.i:], `"""`) {
			return p.mlBasic()
		}
		return p.basic()
	case '\'':
		if strings.HasPrefix(p.s[p.i:], "'''") {
			return p.mlLiteral()
		}
		return p.literal()
	case '[':
		return p.array()
	case '{':
		return p.inlineTable()
	case '\r', '\n':
		return p.fail(p.i, "a value is missing after =")
	}
	start := p.i
	if strings.HasPrefix(p.s[p.i:], "${") || strings.HasPrefix(p.s[p.i:], "@{") {
		if k := strings.IndexAny(p.s[p.i:], "}\r\n"); k > 0 && p.s[p.i+k] == '}' {
			p.i += k + 1
		}
	}
	for !p.eof() && !strings.ContainsRune(" \t\r\n,]}#", rune(p.s[p.i])) {
		p.i++
	}
	tok := p.s[start:p.i]
	switch {
	case tok == "true" || tok == "false", reInt.MatchString(tok), reFloat.MatchString(tok):
		return true
	case reDatetime.MatchString(tok):
		if reDate.MatchString(tok) && strings.HasPrefix(p.s[p.i:], " ") && len(p.s) > p.i+1 && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9' {
			return p.fail(p.i, "a datetime needs T between the date and the time (1979-05-27T07:32:00Z)")
		}
		return true
	}
	return p.badScalar(start, tok)
}

func (p *synParser) badScalar(at int, tok string) bool {
	low := strings.ToLower(strings.TrimLeft(tok, "+-"))
	switch {
	case tok == "":
		p.i = at
		return p.unexpected("where a value should be")
	case strings.HasPrefix(tok, "${") || strings.HasPrefix(tok, "$"):
		return p.fail(at, `an unquoted environment variable is not TOML before it is substituted, and Telegraf ≥ 1.38 parses first (strict environment handling): quote it ("%s") for strings; for numbers and booleans the agent needs --non-strict-env-handling`, tok)
	case strings.HasPrefix(tok, "@{"):
		return p.fail(at, `a secret reference must be quoted: "%s"`, tok)
	case strings.HasPrefix(low, "0x") || strings.HasPrefix(low, "0o") || strings.HasPrefix(low, "0b"):
		return p.fail(at, "hexadecimal, octal and binary integers are not supported by Telegraf's TOML parser: write the number in decimal")
	case low == "inf" || low == "nan":
		return p.fail(at, "inf and nan are not supported by Telegraf's TOML parser")
	case low == "true" || low == "false":
		return p.fail(at, "booleans are written in lower case: true or false")
	case reInt.MatchString(strings.ReplaceAll(tok, "_", "")) || strings.TrimLeft(tok, "+-0123456789_") == "":
		return p.fail(at, "%s is not a TOML number (no leading zeros, '_' only between digits)", tok)
	}
	return p.fail(at, `%q is not a TOML value: strings need quotes ("…")`, tok)
}

// basic checks a "…" string (a value or a quoted key).
func (p *synParser) basic() bool {
	p.i++
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return true
		case c == '\\':
			if !p.escape() {
				return false
			}
		case c == '\n' || c == '\r':
			return p.fail(p.i, `the "…" string is not closed on its line`)
		case c == '\t':
			return p.fail(p.i, `a TAB inside a "…" string must be written \t`)
		case c < 0x20:
			return p.fail(p.i, `control character U+%04X inside a "…" string must be written \u%04X`, c, c)
		default:
			p.i++
		}
	}
	return p.fail(p.i, `the "…" string is not closed`)
}

func (p *synParser) escape() bool {
	at := p.i
	p.i++
	if p.eof() {
		return p.fail(at, "a backslash ends the document")
	}
	c := p.s[p.i]
	switch c {
	case 'b', 't', 'n', 'f', 'r', '"', '/', '\\':
		p.i++
		return true
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		p.i++
		for k := 0; k < n; k++ {
			if p.eof() || !strings.ContainsRune("0123456789abcdefABCDEF", rune(p.s[p.i])) {
				return p.fail(at, `\%c needs %d hexadecimal digits`, c, n)
			}
			p.i++
		}
		return true
	case 'e':
		return p.fail(at, `\e (TOML 1.1) is not supported by Telegraf's TOML parser: write \u001B`)
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	return p.fail(at, `\%c is not an escape in a "…" string: write \\ for a backslash, or use a '…' string (Windows paths: 'C:\Program Files')`, r)
}

func (p *synParser) mlBasic() bool {
	p.i += 3
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case strings.HasPrefix(p.s[p.i:], `"""`):
			p.i += 3
			return true
		case c == '"':
			return p.fail(p.i, `a " inside a """…""" string must be written \" for Telegraf's TOML parser`)
		case c == '\\' && p.i+1 < len(p.s) && (p.s[p.i+1] == '\n' || p.s[p.i+1] == '\r'):
			p.i++
			p.wsnl()
		case c == '\\':
			if !p.escape() {
				return false
			}
		case c == '\n' || c == '\r':
			p.i++
		case c == '\t':
			return p.fail(p.i, `a TAB inside a """…""" string must be written \t`)
		case c < 0x20:
			return p.fail(p.i, `control character U+%04X inside a """…""" string must be written \u%04X`, c, c)
		default:
			p.i++
		}
	}
	return p.fail(p.i, `the """…""" string is not closed`)
}

func (p *synParser) literal() bool {
	p.i++
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case c == '\'':
			p.i++
			return true
		case c == '\n' || c == '\r':
			return p.fail(p.i, "the '…' string is not closed on its line")
		case c < 0x20 && c != '\t':
			return p.fail(p.i, "control character U+%04X cannot be written inside a '…' string", c)
		default:
			p.i++
		}
	}
	return p.fail(p.i, "the '…' string is not closed")
}

func (p *synParser) mlLiteral() bool {
	p.i += 3
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case strings.HasPrefix(p.s[p.i:], "'''"):
			p.i += 3
			return true
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			return p.fail(p.i, "control character U+%04X cannot be written inside a '''…''' string", c)
		default:
			p.i++
		}
	}
	return p.fail(p.i, "the '''…''' string is not closed")
}

func (p *synParser) array() bool {
	p.i++
	p.wsnl()
	if !p.eof() && p.s[p.i] == ']' {
		p.i++
		return true
	}
	for {
		if !p.value() {
			return false
		}
		p.wsnl()
		if p.eof() {
			return p.fail(p.i, "the array is not closed with ]")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.wsnl()
			if !p.eof() && p.s[p.i] == ']' {
				p.i++
				return true
			}
		case ']':
			p.i++
			return true
		default:
			return p.unexpected("in the array (expected , or ])")
		}
	}
}

func (p *synParser) inlineTable() bool {
	p.i++
	for {
		p.ws()
		if p.eof() {
			return p.fail(p.i, "the inline table is not closed with }")
		}
		switch p.s[p.i] {
		case '}':
			p.i++
			return true
		case '\n', '\r':
			return p.fail(p.i, "line breaks are not allowed inside an inline table { … } (write it on one line, or use a [table])")
		}
		if !p.keyval() {
			return false
		}
		p.ws()
		if !p.eof() && p.s[p.i] == ',' {
			p.i++
		}
	}
}

// checkBareValue reports whether v is one TOML value on one line, as a
// constant or parameter standing bare (key = ::{c}) must be.
func checkBareValue(v string) error {
	if strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("a bare value must be on one line")
	}
	p := &synParser{s: v, err: -1}
	if v == "" {
		return fmt.Errorf(`an empty bare value is not TOML (put the placeholder in quotes: "…")`)
	}
	if d := Depth(v); d > maxBareDepth {
		return fmt.Errorf("it nests %d levels deep (at most %d)", d, maxBareDepth)
	}
	if p.value() {
		p.ws()
		if p.eof() {
			// The grammar above mirrors Telegraf's; its parser decides.
			if _, err := toml.Parse([]byte("k = " + v + "\n")); err != nil {
				return fmt.Errorf("it must be one TOML value (1000, true, [\"a\", \"b\"]); Telegraf's parser refuses %q", v)
			}
			return nil
		}
		p.unexpected("after the value")
	}
	return fmt.Errorf("it must be one TOML value (1000, true, [\"a\", \"b\"]; text needs quotes around the placeholder): %s", p.hint)
}

// maxBareDepth bounds the nesting of one bare value.
const maxBareDepth = 64
