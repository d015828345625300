package tc

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is an account. Wire shape fixed by PRODUCT §11.
type User struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// List is the envelope of every list response.
type List[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// Paging limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Page is a validated limit/offset pair.
type Page struct {
	Limit  int
	Offset int
}

// SetupRequest creates the owner while none exists. Code is the one-time
// setup code from tcd's log, needed when the request does not come from the
// tcd host itself.
type SetupRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
	Code     string `json:"code,omitempty"`
}

// LoginRequest starts a session.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResponse is returned by login, setup and invite acceptance.
type LoginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	User      User      `json:"user"`
}

// Credential kinds.
const (
	CredentialSession = "session"
	CredentialToken   = "token"
	CredentialNone    = "anonymous"
)

// Me describes the caller.
type Me struct {
	User        User       `json:"user"`
	Credential  string     `json:"credential"`
	TokenID     string     `json:"tokenId,omitempty"`
	Permissions []string   `json:"permissions"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
}

// UpdateMeRequest changes the caller's own email and/or password.
type UpdateMeRequest struct {
	Email           *string `json:"email,omitempty"`
	Password        *string `json:"password,omitempty"`
	CurrentPassword *string `json:"currentPassword,omitempty"`
}

// InviteRequest invites a user.
type InviteRequest struct {
	Username       string `json:"username"`
	Email          string `json:"email"`
	Role           Role   `json:"role"`
	ExpiresInHours *int   `json:"expiresInHours,omitempty"`
}

// Invite is a pending invitation. Code is present only in the create response.
type Invite struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	Code      string    `json:"code,omitempty"`
	ExpiresAt time.Time `json:"expiresAt"`
	CreatedAt time.Time `json:"createdAt"`
	InvitedBy string    `json:"invitedBy,omitempty"`
}

// CodeRequest redeems an invite or a password-reset code.
type CodeRequest struct {
	Code     string `json:"code"`
	Password string `json:"password"`
}

// PasswordResetRequest asks for a reset code.
type PasswordResetRequest struct {
	ExpiresInHours *int `json:"expiresInHours,omitempty"`
}

// PasswordReset is a one-time reset code.
type PasswordReset struct {
	UserID    string    `json:"userId"`
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// UpdateUserRequest changes another user's role, email or disabled flag.
type UpdateUserRequest struct {
	Role     *Role   `json:"role,omitempty"`
	Email    *string `json:"email,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// TransferOwnershipRequest names the administrator who becomes owner.
type TransferOwnershipRequest struct {
	UserID string `json:"userId"`
}

// Limits of identity input.
const (
	UsernameMin        = 3
	UsernameMax        = 50
	EmailMax           = 254
	PasswordMaxBytes   = 72 // bcrypt's limit; longer passwords are refused, never truncated
	InviteHoursDefault = 72
	ResetHoursDefault  = 24
	CodeHoursMin       = 1
	CodeHoursMax       = 720
)

var usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]*$`)

// NormalizeUsername lower-cases and checks a username: 3–50 characters of
// letters, digits and . _ @ -, starting with a letter or digit.
func NormalizeUsername(s string) (string, error) {
	u := strings.ToLower(strings.TrimSpace(s))
	n := utf8.RuneCountInString(u)
	switch {
	case u == "":
		return "", Errorf(EInvalid, "username is required").With("field", "username")
	case n < UsernameMin || n > UsernameMax:
		return "", Errorf(EInvalid, "username must be %d to %d characters long (got %d)", UsernameMin, UsernameMax, n).With("field", "username")
	case !usernameRe.MatchString(u):
		return "", Errorf(EInvalid, "username may contain only letters, digits and . _ @ - and must start with a letter or digit").With("field", "username")
	}
	return u, nil
}

// NormalizeEmail lower-cases and checks an email address.
func NormalizeEmail(s string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(s))
	if e == "" {
		return "", Errorf(EInvalid, "email is required").With("field", "email")
	}
	if len(e) > EmailMax {
		return "", Errorf(EInvalid, "email must be at most %d characters", EmailMax).With("field", "email")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", Errorf(EInvalid, "email %q is not a valid address (expected name@example.com)", s).With("field", "email")
	}
	return e, nil
}

// PasswordComplexity is a password policy level.
type PasswordComplexity string

const (
	ComplexityLow    PasswordComplexity = "low"
	ComplexityMedium PasswordComplexity = "medium"
	ComplexityHigh   PasswordComplexity = "high"
)

// ParseComplexity parses low, medium or high.
func ParseComplexity(s string) (PasswordComplexity, error) {
	switch c := PasswordComplexity(strings.ToLower(strings.TrimSpace(s))); c {
	case ComplexityLow, ComplexityMedium, ComplexityHigh:
		return c, nil
	}
	return "", Errorf(EInvalid, "unknown password complexity %q: use low, medium or high", s)
}

// Rule describes the level in words, for error messages and help.
func (c PasswordComplexity) Rule() string {
	switch c {
	case ComplexityMedium:
		return "at least 10 characters with an upper-case letter, a lower-case letter and a digit"
	case ComplexityHigh:
		return "at least 12 characters with an upper-case letter, a lower-case letter, a digit and a special character"
	}
	return "at least 8 characters"
}

// CheckPassword enforces the complexity level and bcrypt's 72-byte limit.
func (c PasswordComplexity) CheckPassword(pw string) error {
	fail := func() error {
		return Errorf(EInvalid, "password does not meet the %s complexity rule: %s", c, c.Rule()).With("field", "password")
	}
	if len(pw) > PasswordMaxBytes {
		return Errorf(EInvalid, "password must be at most %d bytes", PasswordMaxBytes).With("field", "password")
	}
	if !utf8.ValidString(pw) {
		return Errorf(EInvalid, "password must be valid UTF-8").With("field", "password")
	}
	var upper, lower, digit, special bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case !unicode.IsSpace(r) && !unicode.IsControl(r):
			special = true
		}
	}
	n := utf8.RuneCountInString(pw)
	switch c {
	case ComplexityHigh:
		if n < 12 || !upper || !lower || !digit || !special {
			return fail()
		}
	case ComplexityMedium:
		if n < 10 || !upper || !lower || !digit {
			return fail()
		}
	default:
		if n < 8 {
			return fail()
		}
	}
	return nil
}

// CheckCodeHours validates an invite or reset lifetime in hours.
func CheckCodeHours(field string, h *int, def int) (time.Duration, error) {
	if h == nil {
		return time.Duration(def) * time.Hour, nil
	}
	if *h < CodeHoursMin || *h > CodeHoursMax {
		return 0, Errorf(EInvalid, "%s must be between %d and %d hours (got %d)", field, CodeHoursMin, CodeHoursMax, *h).With("field", field)
	}
	return time.Duration(*h) * time.Hour, nil
}
