package tc

import "time"

// Advisory severities, highest first ("unknown": the advisory gives none
// tcd can rank).
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
	SeverityUnknown  = "unknown"
)

// Severities lists the severities, highest first.
var Severities = []string{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityUnknown}

// ValidSeverity reports whether s is a severity.
func ValidSeverity(s string) bool {
	for _, v := range Severities {
		if v == s {
			return true
		}
	}
	return false
}

// SeverityRank orders severities: critical 4, high 3, medium 2, low 1,
// unknown (and anything else) 0.
func SeverityRank(s string) int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	}
	return 0
}

// Advisory is a security advisory about Telegraf (or tcd) imported in the
// OSV format, with the agents it applies to. Times are RFC 3339 UTC;
// published, modified and withdrawn are the advisory's own (null when it
// has none).
type Advisory struct {
	ID       string   `json:"id"`
	Summary  string   `json:"summary"`
	Details  string   `json:"details"`
	Aliases  []string `json:"aliases"`
	Severity string   `json:"severity"`
	// Scores are the advisory's severity scores (e.g. a CVSS vector).
	Scores     []AdvisoryScore   `json:"scores"`
	Affected   []AffectedPackage `json:"affected"`
	References []string          `json:"references"`
	// Fixed lists the versions that fix it, lowest first.
	Fixed     []string   `json:"fixed"`
	Published *time.Time `json:"published"`
	Modified  *time.Time `json:"modified"`
	Withdrawn *time.Time `json:"withdrawn"`
	// AgentsAffected counts the agents whose version it affects;
	// Versions breaks them down by reported version.
	AgentsAffected  int              `json:"agentsAffected"`
	Versions        []ExposedVersion `json:"versions"`
	Acknowledgement *Acknowledgement `json:"acknowledgement"`
	// TCDAffected is true for an advisory about tcd itself whose ranges
	// include this tcd's version (advisories about tcd never match agents).
	TCDAffected bool      `json:"tcdAffected"`
	Source      string    `json:"source"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// AdvisoryScore is one OSV severity entry: its type (CVSS_V3, CVSS_V4,
// CVSS_V2, Ubuntu) and score (a vector or a word).
type AdvisoryScore struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// AffectedPackage is the part of an advisory about one tracked module.
type AffectedPackage struct {
	Ecosystem string          `json:"ecosystem"`
	Name      string          `json:"name"`
	Ranges    []AffectedRange `json:"ranges"`
	Versions  []string        `json:"versions"`
}

// AffectedRange is one OSV range: a type (SEMVER, ECOSYSTEM, GIT) and its
// events.
type AffectedRange struct {
	Type   string       `json:"type"`
	Events []RangeEvent `json:"events"`
}

// RangeEvent is one range event; exactly one field is set.
type RangeEvent struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"lastAffected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// ExposedVersion is one agent version an advisory affects: the version as
// agents report it, how many agents run it, and the version that fixes it
// ("" when none is known).
type ExposedVersion struct {
	Version string `json:"version"`
	Agents  int    `json:"agents"`
	Fixed   string `json:"fixed"`
}

// Acknowledgement records that someone accepted an advisory: it is left
// out of the default views until withdrawn.
type Acknowledgement struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Note string    `json:"note"`
}

// AgentAdvisory is an advisory as it applies to one agent.
type AgentAdvisory struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Fixed    string `json:"fixed"`
}

// AcknowledgeRequest acknowledges an advisory; the note (required, at most
// AckNoteMax characters) says why it needs no action.
type AcknowledgeRequest struct {
	Note string `json:"note"`
}

// AckNoteMax bounds an acknowledgement's note.
const AckNoteMax = 500

// AdvisoryImportResult says what an import changed: IDs of the advisories
// added and updated, how many were already stored as given (unchanged) or
// in a newer version (stale), how many entries were about other packages
// (ignored), and which of the added or updated advisories now apply to
// agents of the fleet (matching).
type AdvisoryImportResult struct {
	Added     []string `json:"added"`
	Updated   []string `json:"updated"`
	Unchanged int      `json:"unchanged"`
	Stale     int      `json:"stale"`
	Ignored   int      `json:"ignored"`
	Matching  []string `json:"matching"`
}
