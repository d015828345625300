package auth

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// credential is what the cache remembers about one session or API token,
// enough to authenticate a request without touching the database.
type credential struct {
	kind      string // tc.CredentialSession or tc.CredentialToken
	id        string
	desc      string // a token's description
	userID    string
	username  string
	role      tc.Role
	disabled  bool
	expiresAt *time.Time
	revoked   bool
	perms     tc.PermissionSet // token permissions as stored; nil for sessions
	// effective is what a request with this credential may do, computed
	// once when the credential is loaded: the role's permissions for a
	// session, the token's within its owner's role for a token. Principals
	// share it, so nobody may modify it.
	effective tc.PermissionSet
}

// credCache maps the SHA-256 of a credential to what it grants. Any change to
// a user, session or token purges it. A lookup that missed reads the database
// and may only fill the cache if no purge happened meanwhile (generation
// check), so a stale read can never outlive the change that made it stale.
type credCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]*credential
	// max bounds the map; when full it is simply cleared (entries are cheap
	// to reload and the working set of a fleet is its tokens).
	max int

	hits, misses atomic.Int64
}

func newCredCache(max int) *credCache {
	return &credCache{m: make(map[string]*credential), max: max}
}

func (c *credCache) get(hash string) (*credential, uint64) {
	c.mu.RLock()
	e, gen := c.m[hash], c.gen
	c.mu.RUnlock()
	if e != nil {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e, gen
}

func (c *credCache) put(hash string, e *credential, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= c.max {
		c.m = make(map[string]*credential)
	}
	c.m[hash] = e
}

func (c *credCache) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, hash)
}

func (c *credCache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = make(map[string]*credential)
}

// Len returns the number of cached credentials.
func (c *credCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
