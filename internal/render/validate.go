package render

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"
	"github.com/pelletier/go-toml/v2"
)

// SyntaxError is a TOML parse error at a 1-based line and column.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid TOML at line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// ValidateTOML parses s as TOML. Placeholders are valid inside strings,
// where Telegraf expects them; an unquoted placeholder is a syntax error,
// as it is for Telegraf.
func ValidateTOML(s string) error {
	if !utf8.ValidString(s) {
		return &SyntaxError{Line: 1, Column: 1, Msg: "the document is not valid UTF-8"}
	}
	var v map[string]any
	err := toml.Unmarshal([]byte(strings.TrimPrefix(s, "\ufeff")), &v)
	if err == nil {
		return nil
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return &SyntaxError{Line: line, Column: col, Msg: strings.TrimPrefix(de.Error(), "toml: ")}
	}
	msg := strings.TrimPrefix(err.Error(), "toml: ")
	line, col := locateDuplicate(s, msg)
	return &SyntaxError{Line: line, Column: col, Msg: msg}
}

// locateDuplicate finds the position of a "key X is already defined" error,
// which the parser reports without one: the second line that defines X
// (as "X =" or as a table header ending in X). Other errors point at 1:1.
func locateDuplicate(doc, msg string) (int, int) {
	key, ok := strings.CutPrefix(msg, "key ")
	if !ok {
		return 1, 1
	}
	key, ok = strings.CutSuffix(key, " is already defined")
	if !ok || key == "" {
		return 1, 1
	}
	last := key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		last = key[i+1:]
	}
	seen := 0
	for i, l := range strings.Split(doc, "\n") {
		t := strings.TrimLeft(l, " \t")
		hdr := strings.Trim(strings.TrimSpace(t), "[]")
		if strings.HasPrefix(t, last) && strings.HasPrefix(strings.TrimLeft(t[len(last):], " \t"), "=") ||
			strings.HasPrefix(t, "[") && (hdr == key || strings.HasSuffix(hdr, "."+last)) {
			seen++
			if seen == 2 {
				return i + 1, len(l) - len(t) + 1
			}
		}
	}
	return 1, 1
}

// Diff returns the unified diff from old to new (empty when equal): the
// lines of a shortest edit script (Myers' algorithm, as diff -u computes
// it) with 3 lines of context. udiff.Unified would diff characters and
// widen each change to whole lines, which turns a two-line change into a
// block of the file replaced.
func Diff(oldLabel, newLabel, old, new string) string {
	if old == new {
		return ""
	}
	d, err := udiff.ToUnified(oldLabel, newLabel, old, udiff.Lines(old, new), udiff.DefaultContextLines)
	if err != nil {
		// Cannot happen: the edits come from old itself.
		return udiff.Unified(oldLabel, newLabel, old, new)
	}
	return d
}
