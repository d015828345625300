package agent

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/opentc/tc/pkg/tc"
)

// printAdvisories lists the unacknowledged advisories that apply to an
// agent's version (agent get).
func printAdvisories(w io.Writer, as []tc.AgentAdvisory) {
	fmt.Fprintln(w, "Advisories:")
	if len(as) == 0 {
		fmt.Fprintln(w, "  -")
	}
	printable := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return unicode.ReplacementChar
			}
			return r
		}, s)
	}
	for _, a := range as {
		fix := "no fixed version known"
		if a.Fixed != "" {
			fix = "fixed in " + a.Fixed
		}
		fmt.Fprintf(w, "  %-8s %s (%s): %s\n", a.Severity, printable(a.ID), printable(fix), printable(a.Summary))
	}
}
