package render

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"
	"github.com/influxdata/toml"
	"github.com/influxdata/toml/ast"
)

// SyntaxError is a config Telegraf would not load, at a 1-based line and
// column (the column counts characters).
type SyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Check tunes Validate: the environment handling and limits of the agents.
type Check struct {
	// NonStrict judges by Telegraf's non-strict environment handling
	// (--non-strict-env-handling, the default of Telegraf ≤ 1.37):
	// variables are substituted in the text before it is parsed. By
	// default (strict, Telegraf ≥ 1.38) the text is parsed first and
	// variables are substituted inside string values only.
	NonStrict bool
	// Env is the agents' environment; nil: unknown (see Env).
	Env Env
	// MaxDepth refuses arrays and inline tables nested deeper (0: no limit).
	MaxDepth int
}

// Result is a config that Telegraf would load, as far as its text tells.
type Result struct {
	// Table is the parsed document (after substitution in non-strict mode).
	Table *ast.Table
	// Warnings are findings that do not stop Telegraf from parsing it
	// (integers beyond int64); Lint adds more.
	Warnings []Warning
	// text is what was parsed, for positions.
	text string
}

// Warning is a finding about a config that loads as far as its text tells
// but may not do what was meant.
type Warning struct {
	Line, Column int
	Code         string
	Msg          string
}

func (w Warning) String() string {
	return fmt.Sprintf("line %d, column %d: %s", w.Line, w.Column, w.Msg)
}

// Warning codes.
const (
	WarnUnknownPlugin = "unknown-plugin"
	WarnCrash         = "crashes-agent"
	WarnHeartbeatURL  = "heartbeat-url"
	WarnIntRange      = "integer-range"
	WarnOption        = "invalid-option"
)

// Hint for text that is not UTF-8.
const iconvHint = "tcd keeps configs as UTF-8: convert the file first, e.g. iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8"

// CheckUTF8 returns nil for valid UTF-8 text without NUL bytes and
// otherwise a *SyntaxError at the first bad byte, with a hint how to
// convert the file. tcd keeps configs as text: PostgreSQL cannot store a
// NUL, and Telegraf refuses a local file with one as binary.
func CheckUTF8(doc string) error {
	if utf8.ValidString(doc) {
		if k := strings.IndexByte(doc, 0); k >= 0 {
			line, col := position(doc, k)
			return &SyntaxError{Line: line, Column: col, Msg: "a NUL byte: configs are text (Telegraf refuses a local file with one as binary): remove it"}
		}
		return nil
	}
	off := 0
	for off < len(doc) {
		r, n := utf8.DecodeRuneInString(doc[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	line, col := position(doc, off)
	if strings.HasPrefix(doc, "\xff\xfe") || strings.HasPrefix(doc, "\xfe\xff") {
		return &SyntaxError{Line: line, Column: col, Msg: "the file is UTF-16 (as PowerShell 5 writes with >), not UTF-8: convert it, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8, or in PowerShell | Out-File -Encoding utf8"}
	}
	return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("byte 0x%02X is not valid UTF-8; %s", doc[off], iconvHint)}
}

// Validate answers "would Telegraf load this?" the way Telegraf reads a
// config: the text must be UTF-8 (tcd's rule: Telegraf itself would
// replace bad bytes), a leading byte-order mark is dropped, comments are
// removed, environment variables are handled strictly or not (c), and the
// result is parsed by github.com/influxdata/toml, the parser Telegraf
// pins. Beyond parsing it refuses what Telegraf is certain to refuse when
// it loads the tables (integers beyond uint64, a [processors.x] that is
// not [[processors.x]], a top-level key outside any table).
//
// The error is a *SyntaxError on the line Telegraf names.
func Validate(doc string, c Check) (*Result, error) {
	if err := CheckUTF8(doc); err != nil {
		return nil, err
	}
	doc = strings.TrimPrefix(doc, "\ufeff")
	if c.MaxDepth > 0 {
		if l := lex(doc, nil, c.MaxDepth); l.overAt >= 0 {
			line, col := position(doc, l.overAt)
			return nil, &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("arrays and inline tables nest deeper than %d levels", c.MaxDepth)}
		}
	}
	text := RemoveComments(doc)
	var res *Result
	var err error
	if c.NonStrict {
		res, err = parseNonStrict(text, c.Env)
	} else {
		res, err = parseStrict(text, c.Env)
		var se *SyntaxError
		if errors.As(err, &se) {
			if _, nerr := parseNonStrict(text, c.Env); nerr == nil {
				se.Msg += "; Telegraf accepts this file only with --non-strict-env-handling (the default of Telegraf ≤ 1.37): if your agents run that way, declare the config nonstrict (envHandling: nonstrict; tcctl config push --env-handling nonstrict) or start tcd with --config-env-handling nonstrict"
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if err := res.checkLoad(); err != nil {
		return nil, err
	}
	return res, nil
}

func parseStrict(text string, env Env) (*Result, error) {
	res, err := parse(text)
	if err != nil || env == nil {
		return res, err
	}
	// Strict handling substitutes inside string values only; a required
	// variable without a value is the only way that can fail.
	var serr error
	walk(res.Table, func(v ast.Value) {
		s, ok := v.(*ast.String)
		if !ok || serr != nil || !strings.Contains(s.Value, "$") {
			return
		}
		if _, err := substituteEnv(s.Value, env); err != nil {
			line, col := res.runePos(s.Position.Begin)
			serr = &SyntaxError{Line: line, Column: col, Msg: err.Error()}
		}
	})
	return res, serr
}

func parseNonStrict(text string, env Env) (*Result, error) {
	sub, err := substituteEnv(text, env)
	var re *RequiredVarError
	if errors.As(err, &re) {
		line, col := position(text, re.Offset)
		return nil, &SyntaxError{Line: line, Column: col, Msg: re.Error()}
	}
	if err != nil {
		return nil, err
	}
	return parse(sub)
}

// parse runs Telegraf's parser on text and turns its error into a
// *SyntaxError with a column.
func parse(text string) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, &SyntaxError{Line: 1, Column: 1, Msg: fmt.Sprintf("Telegraf's TOML parser fails on this document (%v)", r)}
		}
	}()
	tbl, perr := toml.Parse([]byte(text))
	if perr == nil {
		return &Result{Table: tbl, text: text}, nil
	}
	var le *toml.LineError
	if !errors.As(perr, &le) {
		return nil, &SyntaxError{Line: 1, Column: 1, Msg: perr.Error()}
	}
	msg := le.Err.Error()
	if msg != "invalid TOML syntax" {
		// Errors found while building tables count every \r and \n as a
		// line; the grammar's count (and editors') counts line breaks.
		line := crlfLine(text, le.Line)
		return nil, &SyntaxError{Line: line, Column: firstColumn(text, line), Msg: strings.ReplaceAll(msg, "'", "`")}
	}
	line := le.Line
	off, hint, found := syntaxCheck(text)
	if found {
		hl, hc := position(text, off)
		if hl == line {
			return nil, &SyntaxError{Line: line, Column: hc, Msg: msg + ": " + hint}
		}
		return nil, &SyntaxError{Line: line, Column: firstColumn(text, line), Msg: fmt.Sprintf("%s (the cause is on line %d, column %d: %s)", msg, hl, hc, hint)}
	}
	return nil, &SyntaxError{Line: line, Column: firstColumn(text, line), Msg: msg}
}

// crlfLine turns a line counted the way the parser counts while building
// tables (each \r and each \n) into a line counted by line breaks.
func crlfLine(text string, line int) int {
	if !strings.Contains(text, "\r") || line <= 1 {
		return line
	}
	n := 1
	for i := 0; i < len(text); i++ {
		if text[i] == '\r' || text[i] == '\n' {
			n++
			if n == line {
				return position2line(text, i+1)
			}
		}
	}
	return position2line(text, len(text))
}

func position2line(text string, off int) int { l, _ := position(text, off); return l }

// firstColumn is the column of the first non-blank character of line.
func firstColumn(text string, line int) int {
	start := 0
	for l := 1; l < line; l++ {
		k := strings.IndexByte(text[start:], '\n')
		if k < 0 {
			return 1
		}
		start += k + 1
	}
	col := 1
	for i := start; i < len(text) && (text[i] == ' ' || text[i] == '\t'); i++ {
		col++
	}
	return col
}

// runePos turns a rune offset of the parsed text into a line and column.
func (r *Result) runePos(runeOff int) (int, int) {
	off := 0
	for n := 0; n < runeOff && off < len(r.text); n++ {
		_, size := utf8.DecodeRuneInString(r.text[off:])
		off += size
	}
	return position(r.text, off)
}

// tableLine turns a table's or key's line (counted by the parser) into a
// line and the column of its first non-blank character.
func (r *Result) tableLine(line int) (int, int) {
	line = crlfLine(r.text, line)
	return line, firstColumn(r.text, line)
}

var (
	maxInt64  = new(big.Int).SetUint64(1<<63 - 1)
	maxUint64 = new(big.Int).SetUint64(1<<64 - 1)
	minInt64  = new(big.Int).Neg(new(big.Int).SetUint64(1 << 63))
)

// checkLoad refuses what Telegraf's loader refuses for certain, from the
// text alone, and warns about integers only an unsigned option can hold.
func (r *Result) checkLoad() error {
	var err error
	walk(r.Table, func(v ast.Value) {
		if err != nil {
			return
		}
		switch n := v.(type) {
		case *ast.Integer:
			if _, perr := strconv.ParseInt(n.Value, 10, 64); perr == nil {
				return
			}
			b, ok := new(big.Int).SetString(n.Value, 10)
			line, col := r.runePos(n.Position.Begin)
			switch {
			case !ok || b.Cmp(maxUint64) > 0 || b.Cmp(minInt64) < 0:
				err = &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("integer %s does not fit in 64 bits: no Telegraf option can hold it", n.Value)}
			case b.Cmp(maxInt64) > 0:
				r.Warnings = append(r.Warnings, Warning{Line: line, Column: col, Code: WarnIntRange,
					Msg: fmt.Sprintf("integer %s is larger than 9223372036854775807: only an unsigned 64-bit option can hold it; any other option makes Telegraf refuse the config", n.Value)})
			}
		case *ast.Float:
			if _, perr := strconv.ParseFloat(n.Value, 64); perr != nil {
				line, col := r.runePos(n.Position.Begin)
				err = &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("float %s is out of range for Telegraf", n.Value)}
			}
		}
	})
	if err != nil {
		return err
	}
	for name, v := range r.Table.Fields {
		switch t := v.(type) {
		case *ast.KeyValue:
			line, col := r.tableLine(t.Line)
			return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("%q is a key outside any table: Telegraf refuses it (\"error parsing field %q as table\"); put it under [agent], [global_tags] or a plugin", name, name)}
		case []*ast.Table:
			line, col := r.tableLine(t[0].Line)
			return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("[[%s]] is an array of tables: Telegraf refuses it; write [%s]", name, name)}
		case *ast.Table:
			if name != "processors" && name != "aggregators" && name != "secretstores" {
				continue
			}
			for plugin, pv := range t.Fields {
				if pt, ok := pv.(*ast.Table); ok {
					line, col := r.tableLine(pt.Line)
					return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("[%s.%s] must be [[%s.%s]]: Telegraf refuses a single table here (unsupported config format)", name, plugin, name, plugin)}
				}
				if kv, ok := pv.(*ast.KeyValue); ok {
					line, col := r.tableLine(kv.Line)
					return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("%s.%s must be a [[%s.%s]] table: Telegraf refuses a value here", name, plugin, name, plugin)}
				}
			}
		}
	}
	return nil
}

// walk calls fn for every value under t (tables, arrays and their items).
func walk(t *ast.Table, fn func(ast.Value)) {
	for _, v := range t.Fields {
		walkAny(v, fn)
	}
}

func walkAny(v any, fn func(ast.Value)) {
	switch n := v.(type) {
	case *ast.Table:
		walk(n, fn)
	case []*ast.Table:
		for _, t := range n {
			walk(t, fn)
		}
	case *ast.KeyValue:
		walkAny(n.Value, fn)
	case *ast.Array:
		for _, e := range n.Value {
			walkAny(e, fn)
		}
	case ast.Value:
		fn(n)
	}
}

// ValidateTOML is Validate with the default check (strict, unknown
// environment, no depth limit), returning only the error.
func ValidateTOML(s string) error {
	_, err := Validate(s, Check{})
	return err
}

// Diff returns the unified diff from old to new (empty when equal).
func Diff(oldLabel, newLabel, old, new string) string {
	if old == new {
		return ""
	}
	return udiff.Unified(oldLabel, newLabel, old, new)
}
