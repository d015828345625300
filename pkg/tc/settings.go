package tc

// Settings are the runtime settings (owner and administrators). The lockout,
// complexity and session settings take effect at once; the URLs are what
// tcctl config use prints; audit retention prunes the audit log.
type Settings struct {
	LoginLockoutAttempts   int                `json:"loginLockoutAttempts"`
	LoginLockoutMinutes    int                `json:"loginLockoutMinutes"`
	PasswordComplexity     PasswordComplexity `json:"passwordComplexity"`
	SessionLifetimeMinutes int                `json:"sessionLifetimeMinutes"`
	PublicAPIURL           string             `json:"publicApiUrl"`
	HeartbeatURL           string             `json:"heartbeatUrl"`
	AuditRetentionHours    int                `json:"auditRetentionHours"`
}

// SettingsPatch changes some settings; absent fields stay.
type SettingsPatch struct {
	LoginLockoutAttempts   *int                `json:"loginLockoutAttempts,omitempty"`
	LoginLockoutMinutes    *int                `json:"loginLockoutMinutes,omitempty"`
	PasswordComplexity     *PasswordComplexity `json:"passwordComplexity,omitempty"`
	SessionLifetimeMinutes *int                `json:"sessionLifetimeMinutes,omitempty"`
	PublicAPIURL           *string             `json:"publicApiUrl,omitempty"`
	HeartbeatURL           *string             `json:"heartbeatUrl,omitempty"`
	AuditRetentionHours    *int                `json:"auditRetentionHours,omitempty"`
}

// AuditRetentionChoices are the allowed audit retentions in hours (0 = keep forever).
var AuditRetentionChoices = []int{720, 2160, 4320, 8760, 17520, 0}

// PublicURLs are the addresses agents should use (any authenticated caller
// may read them); empty means "the URL you reached tcd at".
type PublicURLs struct {
	PublicAPIURL string `json:"publicApiUrl"`
	HeartbeatURL string `json:"heartbeatUrl"`
}
