package tc

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Config is a stored Telegraf configuration. Wire shape fixed by PRODUCT §11.
type Config struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	TOML        string   `json:"toml"`
	Version     int      `json:"version"`
	Labels      []Label  `json:"labels"`
	Aliases     []string `json:"aliases"`
	// LastModified is what the TOML endpoints send as Last-Modified (one
	// second resolution; it moves forward on every change of the output).
	LastModified time.Time `json:"lastModified"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	// EnvHandling is how the config's agents handle environment variables,
	// which decides the rules its TOML is checked by: "strict" (Telegraf ≥
	// 1.38), "nonstrict" (--non-strict-env-handling, Telegraf ≤ 1.37) or ""
	// for tcd's setting (--config-env-handling).
	EnvHandling string `json:"envHandling"`
	// Warnings are lint findings of a successful write (absent on reads).
	Warnings []ConfigProblem `json:"warnings,omitempty"`
}

// Environment handling of a config's agents.
const (
	EnvStrict    = "strict"
	EnvNonStrict = "nonstrict"
)

// CheckEnvHandling validates a config's envHandling ("" = tcd's setting).
func CheckEnvHandling(s string) error {
	if s != "" && s != EnvStrict && s != EnvNonStrict {
		return invalidField("envHandling", "envHandling must be strict, nonstrict or empty (tcd's setting), not %q", s)
	}
	return nil
}

// ConfigProblem is one finding of tcd's config checks about a config or a
// config group: a reason a write was refused (in the "affected" field of a
// 400 or 409 answer) or a warning returned with a successful write.
type ConfigProblem struct {
	// Kind is "config" or "group".
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
	// Member names the member config a group's problem lies in, if one.
	Member string `json:"member,omitempty"`
	// Line and Column (1-based, characters) are in the config's TOML, or in
	// the member's for a group; 0 when the problem has no place.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Code names a warning's kind (unknown-plugin, crashes-agent,
	// heartbeat-url, integer-range, invalid-option); empty for errors.
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

// ConfigVersion is one entry of a config's history.
type ConfigVersion struct {
	Version int    `json:"version"`
	Note    string `json:"note"`
	Author  string `json:"author"`
	// TokenID and TokenDescription name the API token that made the
	// version, when a token (not a login session) made it.
	TokenID          string    `json:"tokenId,omitempty"`
	TokenDescription string    `json:"tokenDescription,omitempty"`
	CreatedAt        time.Time `json:"createdAt"`
	TOML             string    `json:"toml"`
	// Current marks the version equal to the config's TOML.
	Current bool `json:"current"`
}

// CreateConfigRequest is the body of POST /api/configs.
type CreateConfigRequest struct {
	// ID optionally fixes the config's ID (e.g. to keep the ID a config had
	// in Telegraf Controller so agents' URLs keep working); default a UUID.
	ID          string   `json:"id,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	TOML        string   `json:"toml"`
	Labels      []string `json:"labels,omitempty"` // label IDs or names
	Note        string   `json:"note,omitempty"`
	// EnvHandling: "strict", "nonstrict" or "" (tcd's setting).
	EnvHandling string `json:"envHandling,omitempty"`
}

// UpdateConfigRequest is the body of PATCH /api/configs/{id}; absent fields
// are left alone.
type UpdateConfigRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	TOML        *string `json:"toml,omitempty"`
	Note        *string `json:"note,omitempty"`
	EnvHandling *string `json:"envHandling,omitempty"`
}

// RollbackRequest is the body of POST /api/configs/{id}/rollback.
type RollbackRequest struct {
	Version int     `json:"version"`
	Note    *string `json:"note,omitempty"`
}

// VersionNoteRequest is the body of PATCH /api/configs/{id}/versions/{n}.
type VersionNoteRequest struct {
	Note string `json:"note"`
}

// ConfigDiff is a unified diff between two versions of a config.
type ConfigDiff struct {
	From int    `json:"from"`
	To   int    `json:"to"`
	Diff string `json:"diff"`
}

// PruneResult says how many versions a prune deleted, and which versions
// below the limit it kept because a queued, running or paused rollout of
// the config moves from or to them.
type PruneResult struct {
	Deleted int   `json:"deleted"`
	Kept    []int `json:"kept,omitempty"`
}

// Label is a tag on configs, config groups and agents.
type Label struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Color       string `json:"color"`
}

// LabelRequest is the body of POST /api/labels.
type LabelRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Color       string `json:"color,omitempty"`
}

// UpdateLabelRequest is the body of PATCH /api/labels/{id}.
type UpdateLabelRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	Color       *string `json:"color,omitempty"`
}

// BulkLabelsRequest assigns or removes labels on many configs or groups.
type BulkLabelsRequest struct {
	IDs      []string `json:"ids"`
	LabelIDs []string `json:"labelIds"`
}

// Constant is a global value referenced from TOML as ::{name}.
type Constant struct {
	Name      string    `json:"name"`
	Value     string    `json:"value"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// UsedBy lists the IDs of the configs that reference the constant.
	UsedBy []string `json:"usedBy"`
	// Warnings are lint findings of a successful write (absent on reads).
	Warnings []ConfigProblem `json:"warnings,omitempty"`
}

// ConstantRequest is the body of POST /api/constants (name required) and
// PUT|PATCH /api/constants/{name} (name taken from the path).
type ConstantRequest struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value"`
}

// ConfigGroup is an ordered list of configs served as one document.
type ConfigGroup struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Members are config IDs in render order.
	Members      []string  `json:"members"`
	Labels       []Label   `json:"labels"`
	Aliases      []string  `json:"aliases"`
	LastModified time.Time `json:"lastModified"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	// Warnings are lint findings of a successful write (absent on reads).
	Warnings []ConfigProblem `json:"warnings,omitempty"`
}

// GroupRequest is the body of POST /api/config-groups. Members are config
// IDs, aliases or names; duplicates are skipped.
type GroupRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Members     []string `json:"members,omitempty"`
	Labels      []string `json:"labels,omitempty"`
}

// UpdateGroupRequest is the body of PATCH /api/config-groups/{idOrAlias};
// Members, when present, replaces the whole ordered list.
type UpdateGroupRequest struct {
	Name        *string   `json:"name,omitempty"`
	Description *string   `json:"description,omitempty"`
	Members     *[]string `json:"members,omitempty"`
}

// Alias is a short name for a config or a config group, served at /c/{alias}.
type Alias struct {
	Alias    string `json:"alias"`
	ConfigID string `json:"configId,omitempty"`
	GroupID  string `json:"groupId,omitempty"`
}

// AliasRequest is the body of PUT /api/aliases/{alias}: exactly one target.
// An alias owned by another config or group is moved only with Transfer.
type AliasRequest struct {
	ConfigID string `json:"configId,omitempty"`
	GroupID  string `json:"groupId,omitempty"`
	Transfer bool   `json:"transfer,omitempty"`
}

// Limits of configuration input.
const (
	MaxNameLen          = 100
	MaxDescriptionLen   = 500
	MaxNoteLen          = 1000
	MaxConstantValueLen = 64 << 10
)

// Defaults of the configurable config limits (tcd options
// --config-max-size, --config-max-render-size, --config-max-depth).
const (
	// DefaultMaxTOMLBytes bounds a stored template (Telegraf's own full
	// sample config is about 600 KB).
	DefaultMaxTOMLBytes = 4 << 20
	// DefaultMaxRenderBytes bounds what one config or group renders to.
	DefaultMaxRenderBytes = 8 << 20
	// DefaultMaxDepth bounds how deeply arrays and inline tables nest.
	DefaultMaxDepth = 1000
)

var (
	constantNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	aliasRe        = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	uuidLikeRe     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	configIDRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	colorRe        = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// ReservedAliases cannot be used as aliases (they are path words of the API).
var ReservedAliases = []string{"bulk", "duplicate", "many"}

func invalidField(field, format string, args ...any) *Error {
	return Errorf(EInvalid, format, args...).With("field", field)
}

// CheckName validates a config, group or label name and returns it trimmed.
func CheckName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", invalidField(field, "%s is required", field)
	case !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxNameLen:
		return "", invalidField(field, "%s must be 1 to %d characters", field, MaxNameLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '"' || r == '\\' || r == '/' {
			return "", invalidField(field, "%s must not contain control characters, quotes, slashes or backslashes", field)
		}
	}
	return s, nil
}

// CheckText validates an optional free text of at most max characters.
func CheckText(field, s string, max int) (string, error) {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return "", invalidField(field, "%s must be at most %d characters", field, max)
	}
	return s, nil
}

// CheckConstantName validates a constant name: a letter or underscore, then
// letters, digits and underscores, at most 128 characters.
func CheckConstantName(s string) error {
	if !constantNameRe.MatchString(s) {
		return invalidField("name", "constant name %q must start with a letter or underscore and contain only letters, digits and underscores (at most 128)", s)
	}
	return nil
}

// CheckConstantValue validates a constant value: valid UTF-8, at most
// 64 KiB, one line without control characters other than TAB. Rendering
// escapes it for the TOML context each use stands in, and refuses uses it
// cannot stand in.
func CheckConstantValue(s string) error {
	switch {
	case !utf8.ValidString(s):
		return invalidField("value", "constant value must be valid UTF-8")
	case len(s) > MaxConstantValueLen:
		return invalidField("value", "constant value must be at most %d bytes", MaxConstantValueLen)
	case strings.ContainsAny(s, "\r\n"):
		return invalidField("value", "constant value must not contain line breaks")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }):
		return invalidField("value", "constant value must not contain control characters (other than TAB)")
	}
	return nil
}

// CheckAlias validates an alias: 3–63 characters of a-z, 0-9 and '-',
// beginning and ending with a letter or digit, not reserved and not shaped
// like a UUID (so it can never shadow an ID).
func CheckAlias(s string) error {
	switch {
	case uuidLikeRe.MatchString(s):
		return invalidField("alias", "alias %q looks like a UUID; choose another", s)
	case !aliasRe.MatchString(s):
		return invalidField("alias", "alias %q must be 3 to 63 characters of a-z, 0-9 and '-', beginning and ending with a letter or digit", s)
	}
	for _, r := range ReservedAliases {
		if s == r {
			return invalidField("alias", "alias %q is reserved", s)
		}
	}
	return nil
}

// CheckConfigID validates a caller-chosen config ID.
func CheckConfigID(s string) error {
	if !configIDRe.MatchString(s) || s == "bulk" {
		return invalidField("id", "id %q must be 1 to 64 characters of letters, digits, '.', '_' and '-' (and not \"bulk\")", s)
	}
	return nil
}

// CheckColor validates a label color (#rrggbb) and returns it lower-cased.
func CheckColor(s string) (string, error) {
	if !colorRe.MatchString(s) {
		return "", invalidField("color", "color %q must be #rrggbb (e.g. #3b82f6)", s)
	}
	return strings.ToLower(s), nil
}
