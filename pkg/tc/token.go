package tc

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Token states.
const (
	TokenActive  = "active"
	TokenRevoked = "revoked"
	TokenExpired = "expired"
)

// Token sources.
const (
	SourceAPI       = "api"
	SourceBootstrap = "bootstrap"
)

// Token is an API token as the API shows it; the raw value is never part of
// it. Wire shape fixed by PRODUCT §11.
type Token struct {
	ID          string     `json:"id"`
	Description string     `json:"description"`
	UserID      string     `json:"userId"`
	Username    string     `json:"username,omitempty"`
	Permissions []string   `json:"permissions"`
	State       string     `json:"state"`
	Source      string     `json:"source"`
	Hint        string     `json:"hint"`
	CreatedAt   time.Time  `json:"createdAt"`
	ExpiresAt   *time.Time `json:"expiresAt"`
	LastUsedAt  *time.Time `json:"lastUsedAt"`
	RevokedAt   *time.Time `json:"revokedAt"`
	// CreatedBy is the ID of the user who created the token (absent for
	// tokens created before tcd recorded it); it stays when the token is
	// reassigned. CreatedByUsername is that user's name while they exist.
	CreatedBy         string `json:"createdBy,omitempty"`
	CreatedByUsername string `json:"createdByUsername,omitempty"`
}

// CreatedToken is the create response: the token plus its raw value, shown
// this once.
type CreatedToken struct {
	Token
	Raw string `json:"token"`
}

// CreateTokenRequest is the body of POST /api/tokens. Give permissions or a
// preset, and at most one of expiresAt and expiresIn.
type CreateTokenRequest struct {
	Description string     `json:"description"`
	Permissions []string   `json:"permissions,omitempty"`
	Preset      string     `json:"preset,omitempty"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
	ExpiresIn   string     `json:"expiresIn,omitempty"`
	RawToken    string     `json:"rawToken,omitempty"`
}

// ReassignTokenRequest names the new owner of a token (ID or username).
type ReassignTokenRequest struct {
	UserID string `json:"userId"`
}

// TokenCapabilities tells clients what token creation allows.
type TokenCapabilities struct {
	PreSharedTokensEnabled bool     `json:"preSharedTokensEnabled"`
	Presets                []string `json:"presets"`
	Permissions            []string `json:"permissions"`
}

// Presets.
const (
	PresetTelegrafAgent = "telegraf-agent"
	// PresetTelegrafAgentSecrets is telegraf-agent plus secrets:read (every
	// set; scope it with explicit permissions: secrets:read:<set>).
	PresetTelegrafAgentSecrets = "telegraf-agent-secrets"
	PresetCI                   = "ci"
	PresetReadOnly             = "read-only"
	PresetFullAccess           = "full-access"
)

// Presets lists every preset name.
var Presets = []string{PresetTelegrafAgent, PresetTelegrafAgentSecrets, PresetCI, PresetReadOnly, PresetFullAccess}

// PresetPermissions expands a preset for a creator who holds held:
// telegraf-agent(-secrets) and ci are fixed sets, read-only is every read
// the creator holds but secrets:read, full-access everything the creator holds.
func PresetPermissions(preset string, held PermissionSet) (PermissionSet, error) {
	switch strings.ToLower(strings.TrimSpace(preset)) {
	case PresetTelegrafAgent:
		return NewPermissionSet(Perm(ResConfigs, ActRead), Perm(ResHeartbeat, ActWrite)), nil
	case PresetTelegrafAgentSecrets:
		return NewPermissionSet(Perm(ResConfigs, ActRead), Perm(ResHeartbeat, ActWrite), Perm(ResSecrets, ActRead)), nil
	case PresetCI:
		// Exactly what config as code needs (tcctl export, diff, apply of
		// every kind): configs, labels and reporting rules, read and write.
		return NewPermissionSet(Perm(ResConfigs, ActRead), Perm(ResConfigs, ActWrite), Perm(ResLabels, ActRead), Perm(ResLabels, ActWrite),
			Perm(ResReportingRules, ActRead), Perm(ResReportingRules, ActWrite)), nil
	case PresetReadOnly:
		out := PermissionSet{}
		for p := range held {
			// Secret values are never part of "read-only": a token gets
			// them only by asking (secrets:read or telegraf-agent-secrets).
			if p.Action() == ActRead && p.Resource() != ResSecrets {
				out[p] = struct{}{}
			}
		}
		return out, nil
	case PresetFullAccess:
		out := PermissionSet{}
		for p := range held {
			out[p] = struct{}{}
		}
		return out, nil
	}
	return nil, Errorf(EInvalid, "unknown preset %q: use one of %s", preset, strings.Join(Presets, ", ")).With("field", "preset")
}

// DescriptionMax bounds a token description.
const DescriptionMax = 200

// CheckDescription validates a token description.
func CheckDescription(s string) (string, error) {
	d := strings.TrimSpace(s)
	switch {
	case d == "":
		return "", Errorf(EInvalid, "description is required: say what the token is for (e.g. \"web fleet agents\")").With("field", "description")
	case utf8.RuneCountInString(d) > DescriptionMax:
		return "", Errorf(EInvalid, "description must be at most %d characters", DescriptionMax).With("field", "description")
	case !utf8.ValidString(d) || strings.ContainsAny(d, "\x00\r\n\t"):
		return "", Errorf(EInvalid, "description must be one line of text").With("field", "description")
	}
	return d, nil
}

var expiresInRe = regexp.MustCompile(`^(\d{1,6})([smhdw])$`)

// MaxTokenLifetime bounds expiresIn and expiresAt.
const MaxTokenLifetime = 10 * 365 * 24 * time.Hour

// ParseExpiresIn parses a lifetime such as 90s, 15m, 12h, 30d or 2w (or any
// Go duration such as 1h30m).
func ParseExpiresIn(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := Errorf(EInvalid, "expiresIn %q is not a lifetime such as 90s, 15m, 12h, 30d or 2w", s).With("field", "expiresIn")
	var d time.Duration
	if m := expiresInRe.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		d = time.Duration(n) * unit
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d <= 0 || d > MaxTokenLifetime {
		return 0, Errorf(EInvalid, "expiresIn must be more than 0 and at most 10 years (got %q)", s).With("field", "expiresIn")
	}
	return d, nil
}
