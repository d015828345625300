package auth

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Settings are the runtime-editable identity settings, stored in the
// database and seeded from tcd's configuration on first start.
type Settings struct {
	LockoutAttempts int
	LockoutDuration time.Duration
	Complexity      tc.PasswordComplexity
	SessionLifetime time.Duration
	PublicAPIURL    string
	HeartbeatURL    string
	AuditRetention  time.Duration // 0 = keep forever
}

// Setting keys in the settings table.
const (
	KeyLockoutAttempts = "login_lockout_attempts"
	KeyLockoutMinutes  = "login_lockout_minutes"
	KeyComplexity      = "password_complexity"
	KeySessionLifetime = "session_lifetime"
	KeyPublicAPIURL    = "public_api_url"
	KeyHeartbeatURL    = "heartbeat_url"
	KeyAuditRetention  = "audit_retention_hours"
)

// DefaultSettings are used for anything not stored.
var DefaultSettings = Settings{
	LockoutAttempts: 5,
	LockoutDuration: 15 * time.Minute,
	Complexity:      tc.ComplexityLow,
	SessionLifetime: 24 * time.Hour,
	AuditRetention:  2160 * time.Hour,
}

// Encode returns the settings as stored key/values.
func (s Settings) Encode() map[string]string {
	return map[string]string{
		KeyLockoutAttempts: strconv.Itoa(s.LockoutAttempts),
		KeyLockoutMinutes:  strconv.Itoa(int(s.LockoutDuration / time.Minute)),
		KeyComplexity:      string(s.Complexity),
		KeySessionLifetime: s.SessionLifetime.String(),
		KeyPublicAPIURL:    s.PublicAPIURL,
		KeyHeartbeatURL:    s.HeartbeatURL,
		KeyAuditRetention:  strconv.Itoa(int(s.AuditRetention / time.Hour)),
	}
}

func decodeSettings(kv map[string]string, log *slog.Logger) Settings {
	out := DefaultSettings
	if v, ok := kv[KeyLockoutAttempts]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 {
			out.LockoutAttempts = n
		} else {
			log.Warn("ignoring stored setting", "key", KeyLockoutAttempts, "value", v)
		}
	}
	if v, ok := kv[KeyLockoutMinutes]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 {
			out.LockoutDuration = time.Duration(n) * time.Minute
		} else {
			log.Warn("ignoring stored setting", "key", KeyLockoutMinutes, "value", v)
		}
	}
	if v, ok := kv[KeyComplexity]; ok {
		if c, err := tc.ParseComplexity(v); err == nil {
			out.Complexity = c
		} else {
			log.Warn("ignoring stored setting", "key", KeyComplexity, "value", v)
		}
	}
	if v, ok := kv[KeySessionLifetime]; ok {
		if d, err := time.ParseDuration(v); err == nil && d >= time.Minute {
			out.SessionLifetime = d
		} else {
			log.Warn("ignoring stored setting", "key", KeySessionLifetime, "value", v)
		}
	}
	out.PublicAPIURL = kv[KeyPublicAPIURL]
	out.HeartbeatURL = kv[KeyHeartbeatURL]
	if v, ok := kv[KeyAuditRetention]; ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			out.AuditRetention = time.Duration(n) * time.Hour
		}
	}
	return out
}

// Service is the identity service: setup, sessions, users, invites,
// password resets, ownership, and request authentication.
type Service struct {
	store    *store.Store
	hasher   *Hasher
	now      func() time.Time
	log      *slog.Logger
	cache    *credCache
	settings atomic.Pointer[Settings]

	tokenOpts TokenOptions
	usageState

	inviteTTL, resetTTL time.Duration
	// setupCode is the SHA-256 of the one-time code a remote setup needs
	// ("" when none was issued: an owner exists).
	setupMu   sync.Mutex
	setupCode string
}

// Options configures a Service.
type Options struct {
	Now        func() time.Time
	Logger     *slog.Logger
	BcryptCost int
	// HashConcurrency bounds the bcrypt operations run at once (0 =
	// DefaultHashConcurrency); HashWait is how long one waits for a slot
	// before its request gets 429 (0 = DefaultHashWait).
	HashConcurrency int
	HashWait        time.Duration
	// InviteLifetime and ResetLifetime are the default lifetimes of invite
	// and password-reset codes (0 = DefaultInviteLifetime, DefaultResetLifetime).
	InviteLifetime time.Duration
	ResetLifetime  time.Duration
}

// Default code lifetimes, used when a request names none.
const (
	DefaultInviteLifetime = 7 * 24 * time.Hour
	DefaultResetLifetime  = 24 * time.Hour
)

// NewService returns a Service over st. Call LoadSettings before serving.
func NewService(st *store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.InviteLifetime <= 0 {
		o.InviteLifetime = DefaultInviteLifetime
	}
	if o.ResetLifetime <= 0 {
		o.ResetLifetime = DefaultResetLifetime
	}
	s := &Service{store: st, hasher: NewHasher(o.BcryptCost, o.HashConcurrency, o.HashWait), now: o.Now, log: o.Logger,
		cache: newCredCache(1 << 20), inviteTTL: o.InviteLifetime, resetTTL: o.ResetLifetime}
	d := DefaultSettings
	s.settings.Store(&d)
	return s
}

// SeedAndLoadSettings stores seed values not stored yet, then loads the
// stored settings. It returns the keys whose seed differs from what the
// database holds (the database wins; the caller may warn).
func (s *Service) SeedAndLoadSettings(ctx context.Context, seed Settings, explicit map[string]bool) ([]string, error) {
	enc := seed.Encode()
	if err := s.store.SeedSettings(ctx, enc); err != nil {
		return nil, err
	}
	kv, err := s.store.Settings(ctx)
	if err != nil {
		return nil, err
	}
	var differs []string
	for k, v := range enc {
		if explicit[k] && kv[k] != v {
			differs = append(differs, k)
		}
	}
	st := decodeSettings(kv, s.log)
	s.settings.Store(&st)
	return differs, nil
}

// Settings returns the settings in force.
func (s *Service) Settings() Settings { return *s.settings.Load() }

// Invalidate drops every cached credential; called after any change to
// users, sessions or tokens.
// On PostgreSQL the other nodes of a cluster are told to do the same.
func (s *Service) Invalidate() {
	s.cache.purge()
	s.publish(store.TopicCredentials)
}

// invalidate is Invalidate now and again once the API request of ctx
// committed (store.AfterCommit): a lookup between the two could otherwise
// cache the rows as they were before the commit.
func (s *Service) invalidate(ctx context.Context) {
	s.Invalidate()
	store.AfterCommit(ctx, s.Invalidate)
}

// DropCache forgets every cached credential (another node changed one).
func (s *Service) DropCache() { s.cache.purge() }

// ReloadSettings reads the settings again (another node changed them).
func (s *Service) ReloadSettings(ctx context.Context) error {
	kv, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	st := decodeSettings(kv, s.log)
	s.settings.Store(&st)
	return nil
}

// publish announces a change to the other nodes; the change is already
// committed, so a failure only delays them until their next poll.
func (s *Service) publish(topic string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.store.PublishChange(ctx, topic); err != nil {
		s.log.Warn("could not notify the other nodes; they will catch up at their next poll", "topic", topic, "err", err)
	}
}

// CacheLookups returns how many credential lookups hit and missed the cache.
func (s *Service) CacheLookups() (hits, misses int64) {
	return s.cache.hits.Load(), s.cache.misses.Load()
}

// PasswordVerifications returns how many bcrypt password comparisons ran
// (tcd_password_verifications_total); HashBusy how many bcrypt operations
// were refused with 429 because every slot stayed busy.
func (s *Service) PasswordVerifications() int64 { return s.hasher.Verifications() }

// HashBusy returns how many bcrypt operations were refused with 429.
func (s *Service) HashBusy() int64 { return s.hasher.Busy() }

// CacheLen returns the number of cached credentials.
func (s *Service) CacheLen() int { return s.cache.Len() }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// RequestMeta describes where a request came from.
type RequestMeta struct {
	IP        string
	UserAgent string
	// Loopback is true only when the request certainly came from this
	// host: the client address (after trusted proxies) is a loopback
	// address and no untrusted proxy forwarded it. The zero value counts
	// as remote.
	Loopback bool
}

// Authentication failure texts; the heartbeat listener sends them verbatim
// (they are Telegraf Controller's), the API puts them in the 401 envelope.
const (
	MsgMissingHeader = "Missing or invalid Authorization header"
	MsgBadFormat     = "Invalid token format"
	MsgInvalid       = "Invalid token"
	MsgExpired       = "Token expired"
)

// ParseAuthorization extracts the credential of an Authorization header with
// the Bearer or Token scheme (case-insensitive).
func ParseAuthorization(h string) (string, bool) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Token")) {
		return "", false
	}
	raw := strings.TrimSpace(rest)
	return raw, raw != ""
}

// Authenticate resolves an Authorization header to a principal. It never
// writes to the database synchronously. Errors are 401s with the texts above.
func (s *Service) Authenticate(ctx context.Context, header string) (*Principal, error) {
	raw, ok := ParseAuthorization(header)
	if !ok {
		return nil, tc.Errorf(tc.EUnauthorized, MsgMissingHeader)
	}
	var kind string
	switch {
	case WellFormed(raw, TokenPrefix):
		kind = tc.CredentialToken
	case WellFormed(raw, SessionPrefix):
		kind = tc.CredentialSession
	default:
		return nil, tc.Errorf(tc.EUnauthorized, MsgBadFormat)
	}
	// The hash in hex on the stack: a cache hit (every request of a
	// fleet) allocates nothing for it.
	var hexBuf [2 * sha256.Size]byte
	hashSecretTo(&hexBuf, raw)
	c, gen := s.cache.get(string(hexBuf[:]))
	hash := ""
	if c == nil {
		var err error
		hash = string(hexBuf[:])
		c, err = s.loadCredential(ctx, kind, hash)
		if err != nil {
			return nil, err
		}
		s.cache.put(hash, c, gen)
	}
	now := s.clock()
	switch {
	case c.revoked || c.disabled:
		return nil, tc.Errorf(tc.EUnauthorized, MsgInvalid)
	case c.expiresAt != nil && !now.Before(*c.expiresAt):
		if kind == tc.CredentialSession {
			s.cache.drop(string(hexBuf[:]))
		}
		return nil, tc.Errorf(tc.EUnauthorized, MsgExpired)
	}
	p := &Principal{UserID: c.userID, Username: c.username, Role: c.role, Credential: kind, ExpiresAt: c.expiresAt, Permissions: c.effective}
	if kind == tc.CredentialSession {
		p.SessionID = c.id
	} else {
		p.TokenID, p.TokenDescription = c.id, c.desc
		s.recordUse(c.id, now)
	}
	return p, nil
}

func (s *Service) loadCredential(ctx context.Context, kind, hash string) (*credential, error) {
	if kind == tc.CredentialSession {
		sw, err := s.store.SessionByHash(ctx, hash)
		if tc.IsCode(err, tc.ENotFound) {
			return nil, tc.Errorf(tc.EUnauthorized, MsgInvalid)
		} else if err != nil {
			return nil, err
		}
		exp := sw.Session.ExpiresAt
		return &credential{kind: kind, id: sw.Session.ID, userID: sw.User.ID, username: sw.User.Username,
			role: sw.User.Role, disabled: sw.User.Disabled, expiresAt: &exp, effective: sw.User.Role.Permissions()}, nil
	}
	tw, err := s.store.TokenByHash(ctx, hash)
	if tc.IsCode(err, tc.ENotFound) {
		return nil, tc.Errorf(tc.EUnauthorized, MsgInvalid)
	} else if err != nil {
		return nil, err
	}
	return &credential{kind: kind, id: tw.Token.ID, desc: tw.Token.Description, userID: tw.User.ID, username: tw.User.Username,
		role: tw.User.Role, disabled: tw.User.Disabled, expiresAt: tw.Token.ExpiresAt,
		revoked: tw.Token.RevokedAt != nil, perms: tw.Token.PermissionSet(),
		effective: tw.Token.PermissionSet().Intersect(tw.User.Role.Permissions())}, nil
}

// AnonymousPrincipal is the caller admitted without credentials to the
// endpoint groups opened by --disable-auth-endpoints; perms are the opened
// groups' permissions.
func AnonymousPrincipal(perms tc.PermissionSet) *Principal {
	return &Principal{Credential: tc.CredentialNone, Permissions: perms}
}
