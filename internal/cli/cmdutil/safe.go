package cmdutil

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/opentc/tc/internal/cli/iostreams"
)

// Safe returns s fit to print on a terminal as one line: every control
// character (C0, DEL, C1), every bidirectional-text control and every byte
// that is not UTF-8 is shown as an escape (\x1b, \n, \t, \u009b, \u202e,
// \xff) instead of being sent to the terminal. tcctl passes every text it
// did not write itself (names, descriptions, log lines, hostnames, audit
// actors, error messages from the server) through it before printing it in
// a table or a plain view, so stored text can neither move the cursor,
// retitle or clear the terminal nor fake lines of output. JSON and YAML
// output stay exact.
func Safe(s string) string { return escape(s, false) }

// SafeText is Safe for multi-line text (TOML, diffs): line feeds and tabs
// are kept, everything else Safe escapes is escaped.
func SafeText(s string) string { return escape(s, true) }

func escape(s string, multiline bool) string {
	if !needsEscape(s, multiline) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case multiline && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string, multiline bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

// unsafeRune reports C1 controls and the bidirectional controls that can
// make text display in another order than it is stored (U+061C, U+200E/F,
// U+202A–U+202E, U+2066–U+2069).
func unsafeRune(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r == 0x061c || r == 0x200e || r == 0x200f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// safeArgs returns args with every string (and error and Stringer) made
// Safe, for messages that mix tcctl's words with stored text.
func safeArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = Safe(v)
		case error:
			out[i] = Safe(v.Error())
		case fmt.Stringer:
			out[i] = Safe(v.String())
		default:
			out[i] = a
		}
	}
	return out
}

// PrintFields prints a key-value view ("Name:   web") on stdout, keys
// aligned, values made Safe and empty ones shown as "-".
func PrintFields(ios *iostreams.IOStreams, fields [][2]string) error {
	_, err := io.WriteString(ios.Out, Fields(fields))
	return err
}

// Fields formats a key-value view as PrintFields prints it.
func Fields(fields [][2]string) string {
	width := 0
	for _, kv := range fields {
		width = max(width, len(kv[0]))
	}
	var b strings.Builder
	for _, kv := range fields {
		v := Safe(kv[1])
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(&b, "%-*s  %s\n", width+1, kv[0]+":", v)
	}
	return b.String()
}

// WriteText writes a document (TOML, a diff) to stdout: exactly as it is
// when stdout is not a terminal (a file or a pipe gets the bytes tcd
// sent), with control characters other than line feeds and tabs escaped
// when it is (see SafeText).
func WriteText(ios *iostreams.IOStreams, s string) error {
	if ios.IsStdoutTTY() {
		s = SafeText(s)
	}
	_, err := io.WriteString(ios.Out, s)
	return err
}
