package cmdutil

import (
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Table prints aligned columns for people: a header row, then one row per
// item. Cells never contain tabs or line breaks, so rows stay rows.
type Table struct {
	tw *tabwriter.Writer
}

// NewTable starts a table on w with the given header.
func NewTable(w io.Writer, header ...string) *Table {
	t := &Table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.Row(header...)
	return t
}

var cellCleaner = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")

// Row adds one row.
func (t *Table) Row(cells ...string) {
	for i, c := range cells {
		cells[i] = cellCleaner.Replace(c)
		if cells[i] == "" {
			cells[i] = "-"
		}
	}
	io.WriteString(t.tw, strings.Join(cells, "\t")+"\n")
}

// Flush writes the table.
func (t *Table) Flush() error { return t.tw.Flush() }

// Time formats a timestamp for a table cell: RFC 3339 in UTC, "-" if unset.
func Time(ts time.Time) string {
	if ts.IsZero() {
		return "-"
	}
	return ts.UTC().Format(time.RFC3339)
}
