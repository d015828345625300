package cmdutil

import (
	"io"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/opentc/tc/internal/cli/iostreams"
)

// Table prints aligned columns for people: a header row, then one row per
// item. Every cell is made Safe (control characters escaped, so a row stays
// one row and stored text cannot drive the terminal) and empty cells show
// "-". Column widths are measured on the visible text, so colours (added
// only when the streams allow them) never shift a column.
type Table struct {
	w      io.Writer
	color  bool
	rows   [][]string
	styles map[int]func(cell string) string
}

// NewTable starts a table on ios.Out with the given header.
func NewTable(ios *iostreams.IOStreams, header ...string) *Table {
	t := &Table{w: ios.Out, color: ios.ColorEnabled()}
	t.rows = append(t.rows, append([]string(nil), header...))
	return t
}

// Style colours the cells of column col (not the header): fn returns the
// SGR sequence for a cell's text ("" for none). It has effect only when
// colour is enabled (see iostreams.ColorEnabled).
func (t *Table) Style(col int, fn func(cell string) string) *Table {
	if t.styles == nil {
		t.styles = map[int]func(string) string{}
	}
	t.styles[col] = fn
	return t
}

// Row adds one row.
func (t *Table) Row(cells ...string) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = Safe(c)
		if row[i] == "" {
			row[i] = "-"
		}
	}
	t.rows = append(t.rows, row)
}

// Flush writes the table.
func (t *Table) Flush() error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	var b strings.Builder
	for n, r := range t.rows {
		for i, c := range r {
			text := c
			if fn := t.styles[i]; fn != nil && t.color && n > 0 {
				if sgr := fn(c); sgr != "" {
					text = sgr + c + "\x1b[0m"
				}
			}
			b.WriteString(text)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	t.rows = t.rows[:0]
	_, err := io.WriteString(t.w, b.String())
	return err
}

// Time formats a timestamp for a table cell: RFC 3339 in UTC, "-" if unset.
func Time(ts time.Time) string {
	if ts.IsZero() {
		return "-"
	}
	return ts.UTC().Format(time.RFC3339)
}

// TimePtr is Time for an optional timestamp; none is shown when it is nil.
func TimePtr(ts *time.Time, none string) string {
	if ts == nil {
		return none
	}
	return Time(*ts)
}

// TokenLabel names an API token in a table cell: its description and ID
// ("ci-push 3f2a…"), or the ID alone when it has no description.
func TokenLabel(id, description string) string {
	if description == "" {
		return id
	}
	return description + " " + id
}
