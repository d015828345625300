package api

import (
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/opentc/tc/pkg/tc"
)

// Defaults of the per-address limit on the routes that check a password or
// a one-time code: 20 requests a minute, in bursts of up to 20. An admin or
// a script logging in a few times a minute never meets it; a flood from one
// address gets 429s instead of bcrypt comparisons.
const (
	DefaultAuthRatePerMinute = 20
	DefaultAuthRateBurst     = 20
	// authLimiterAddresses bounds the memory the limiter keeps: the least
	// recently seen addresses are forgotten beyond it (about 200 bytes each).
	authLimiterAddresses = 65536
	// DefaultAuthRefusalDelay is how long a refused request waits before its
	// 429 is sent (at most its Retry-After): a client that ignores
	// Retry-After and retries at once, on every connection it has, then
	// sends a few requests a second instead of thousands.
	DefaultAuthRefusalDelay = time.Second
	// maxDelayedRefusals bounds the refusals waiting at once (a goroutine
	// and a connection each); beyond it they are answered at once.
	maxDelayedRefusals = 4096
)

// authLimitedRoutes are the unauthenticated routes that cost a password
// hash or check a one-time code (method and lower-case path, as the router
// matches them).
var authLimitedRoutes = map[string]bool{
	"POST /api/auth/login":          true,
	"POST /api/auth/login/local":    true,
	"POST /api/auth/setup":          true,
	"POST /api/auth/invites/accept": true,
	"POST /api/auth/password-reset": true,
}

// authLimiter is a token bucket (golang.org/x/time/rate) per client address
// (IPv6 by /64, the block one host usually holds), kept in an LRU of bounded
// size.
type authLimiter struct {
	limit rate.Limit
	burst int
	// delay holds a refusal back (0: answer at once); delayed counts the
	// refusals being held.
	delay   time.Duration
	delayed chan struct{}

	mu      sync.Mutex
	buckets *lru.Cache[string, *addrBucket]
	limited atomic.Int64
	now     func() time.Time
}

type addrBucket struct {
	lim      *rate.Limiter
	lastWarn time.Time
}

// newAuthLimiter returns a limiter of perMinute requests a minute per
// address in bursts of burst; nil when perMinute is 0 (no limit). delay is
// how long a refusal is held back (0: DefaultAuthRefusalDelay; negative:
// none).
func newAuthLimiter(perMinute float64, burst int, delay time.Duration, now func() time.Time) *authLimiter {
	if perMinute <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	c, err := lru.New[string, *addrBucket](authLimiterAddresses)
	if err != nil {
		panic(err) // only for a size < 1
	}
	if now == nil {
		now = time.Now
	}
	switch {
	case delay == 0:
		delay = DefaultAuthRefusalDelay
	case delay < 0:
		delay = 0
	}
	return &authLimiter{limit: rate.Limit(perMinute / 60), burst: burst, buckets: c, now: now,
		delay: delay, delayed: make(chan struct{}, maxDelayedRefusals)}
}

// hold waits before a refusal is answered: d, at most the limiter's delay,
// when fewer than maxDelayedRefusals are waiting already.
func (l *authLimiter) hold(d time.Duration) {
	if d > l.delay {
		d = l.delay
	}
	if d <= 0 {
		return
	}
	select {
	case l.delayed <- struct{}{}:
		time.Sleep(d)
		<-l.delayed
	default:
	}
}

// limiterKey groups addresses: IPv4 one by one, IPv6 by /64.
func limiterKey(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// allow takes one request from key's bucket. When it is empty it returns
// false and how long until the next request would be allowed; warn is true
// the first time in a minute that key was refused (to log it once).
func (l *authLimiter) allow(key string) (ok bool, retry time.Duration, warn bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.buckets.Get(key)
	if !found {
		b = &addrBucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets.Add(key, b)
	}
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		l.limited.Add(1)
		if now.Sub(b.lastWarn) >= time.Minute {
			b.lastWarn, warn = now, true
		}
		return false, d, warn
	}
	return true, 0, false
}

// Limited returns how many requests the limiter refused.
func (l *authLimiter) Limited() int64 {
	if l == nil {
		return 0
	}
	return l.limited.Load()
}

// limitAuth is the middleware that applies the per-address limit. It runs
// before the audit middleware: a refused request checked nothing and is
// counted (tcd_auth_rate_limited_total) and logged once a minute per
// address instead of written to the audit log, so a flood cannot turn into
// a flood of database writes either. The refusal is held back up to a
// second, so a client that retries at once costs a few requests a second
// per connection.
func (s *Server) limitAuth(c *fiber.Ctx) error {
	// Every limited route is a POST: other methods (every agent's config
	// poll) skip building the key.
	if s.authLimit == nil || c.Method() != fiber.MethodPost || !authLimitedRoutes[c.Method()+" "+routeKey(c.Path())] {
		return c.Next()
	}
	ip := s.clientIP(c)
	ok, retry, warn := s.authLimit.allow(limiterKey(ip))
	if ok {
		return c.Next()
	}
	secs := int(math.Ceil(retry.Seconds()))
	if secs < 1 {
		secs = 1
	}
	if warn {
		s.log.Warn("too many login, setup or code attempts from one address: refusing them with 429", "ip", ip.String(), "path", c.Path(), "retry_after_s", secs)
	}
	s.authLimit.hold(retry)
	e := tc.Errorf(tc.ETooManyRequests, "too many attempts from your address: retry in %d second%s", secs, map[bool]string{true: "", false: "s"}[secs == 1])
	e.RetryAfter = secs
	return writeError(c, e)
}

// routeKey is a path as the router matches it: case-insensitive, without a
// trailing slash.
func routeKey(p string) string {
	p = strings.ToLower(p)
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	return p
}

// AuthRateLimited returns how many requests the per-address limit refused.
func (s *Server) AuthRateLimited() int64 { return s.authLimit.Limited() }
