// Package advisory holds `tcctl advisory …`: security advisories in the
// OSV format, matched against the agents' versions. One file per verb.
package advisory

import (
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdAdvisory builds the `tcctl advisory` noun and its verbs.
func NewCmdAdvisory(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "advisory <command>",
		Short: "Security advisories about Telegraf and the agents they apply to",
		Long: `Import security advisories in the OSV format (osv.dev, the Go vulnerability
database, GitHub's advisory database, or files of your own) and see which
agents run an affected Telegraf version. Only advisories about Telegraf
(github.com/influxdata/telegraf) and tcd (github.com/opentc/tc) are kept.

An acknowledged advisory (one that needs no action here) leaves the default
views: advisory list, agent list --exposed, agent get and the
tcd_agents_exposed metric; advisory list --all still shows it. Reading needs
agents:read; import, ack and unack need advisories:write. See
docs/advisories.md.`,
		Example: `  tcctl advisory import all.zip
  tcctl advisory list
  tcctl advisory get GHSA-xxxx-xxxx-xxxx
  tcctl advisory ack GHSA-xxxx-xxxx-xxxx --note "inputs.example is not used"
  tcctl agent list --exposed --severity high`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(NewCmdImport(f), NewCmdList(f), NewCmdGet(f), NewCmdAck(f), NewCmdUnack(f))
	return cmd
}

var severityColor = map[string]string{
	tc.SeverityCritical: "\x1b[31;1m", tc.SeverityHigh: "\x1b[31m", tc.SeverityMedium: "\x1b[33m",
	tc.SeverityLow: "\x1b[36m", tc.SeverityUnknown: "\x1b[90m",
}

// colorSeverity colours a severity on a terminal.
func colorSeverity(ios *iostreams.IOStreams, s string) string {
	if c, ok := severityColor[s]; ok && ios.IsStdoutTTY() {
		return c + s + "\x1b[0m"
	}
	return s
}

// clean makes text from an advisory file safe for a terminal: control
// characters (escape sequences among them) become U+FFFD; line breaks stay
// when keepLines.
func clean(s string, keepLines bool) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' && keepLines {
			return r
		}
		if r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

// describeRanges renders a package's ranges as ">= 1.36.0, < 1.38.0";
// several intervals are joined with "; ".
func describeRanges(p tc.AffectedPackage) string {
	var parts []string
	for _, r := range p.Ranges {
		if r.Type == "GIT" {
			parts = append(parts, "commits (GIT range)")
			continue
		}
		var cur []string
		flush := func() {
			if len(cur) == 0 {
				cur = []string{"all versions"}
			}
			parts = append(parts, strings.Join(cur, ", "))
			cur = nil
		}
		open := false
		for _, ev := range r.Events {
			switch {
			case ev.Introduced != "":
				if open {
					flush()
				}
				open = true
				if ev.Introduced != "0" {
					cur = append(cur, ">= "+ev.Introduced)
				}
			case ev.Fixed != "":
				cur = append(cur, "< "+ev.Fixed)
				flush()
				open = false
			case ev.LastAffected != "":
				cur = append(cur, "<= "+ev.LastAffected)
				flush()
				open = false
			case ev.Limit != "" && ev.Limit != "*":
				cur = append(cur, "< "+ev.Limit+" (limit)")
			}
		}
		if open || len(cur) > 0 {
			flush()
		}
	}
	if len(p.Versions) > 0 {
		parts = append(parts, "versions "+strings.Join(p.Versions, ", "))
	}
	return clean(strings.Join(parts, "; "), false)
}

func state(a tc.Advisory) string {
	switch {
	case a.Withdrawn != nil:
		return "withdrawn"
	case a.Acknowledgement != nil:
		return "acknowledged"
	}
	return "open"
}
