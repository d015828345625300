package configs

import (
	"container/list"
	"encoding/hex"
	"hash/maphash"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Rendered is what a TOML endpoint serves for one (target, query).
type Rendered struct {
	Body         []byte
	ETag         string
	LastModified time.Time
	// Name is the config or group name (the download file name).
	Name string
	// Err is a rendering error (missing parameters, undefined constants,
	// unknown target); it is cached like a body.
	Err error
	// Kind (KindConfig or KindGroup), TargetID and Version say what was
	// rendered (Version is 0 for a group), for who-runs-what and rollouts.
	Kind     string
	TargetID string
	Version  int
	// Members are, for a group, the version of each member config the
	// rendering holds, with that version's Last-Modified (during a
	// rollout of a member, the one the agent was routed to). Shared by
	// every rendering of the same source: read-only.
	Members []MemberVersion

	sum     [16]byte // the ETag's bytes
	lmHTTP  string   // LastModified in http.TimeFormat
	bodyLen int      // len(Body) of a rendering answered by its headers
}

// MemberVersion is a member config of a group rendering at the version
// rendered (LastModified in unix seconds).
type MemberVersion struct {
	ID           string
	Version      int
	LastModified int64
}

func (r *Rendered) size() int { return len(r.Body) + len(r.Name) + 256 }

// HTTPLastModified is LastModified in the format of the Last-Modified
// header (RFC 9110's IMF-fixdate).
func (r *Rendered) HTTPLastModified() string {
	if r.lmHTTP != "" {
		return r.lmHTTP
	}
	return r.LastModified.Format(http.TimeFormat)
}

// Headers reports whether r carries only what a HEAD answer needs (its
// headers): Body is nil though the rendering has one. Serve returns such a
// Rendered only when asked for headers.
func (r *Rendered) Headers() bool { return r.Body == nil && r.Err == nil && r.ETag != "" }

// ContentLength is the length of the body, kept by a headers-only answer.
func (r *Rendered) ContentLength() int {
	if r.Body != nil {
		return len(r.Body)
	}
	return r.bodyLen
}

// renderCache is a bounded cache of renderings keyed by target and
// canonical query, evicted in second-chance order (oldest first, except
// that an entry used since it was last considered is kept once more): a
// hit needs only the read lock, so agents' polls do not queue behind each
// other. Every write to configurations calls invalidate, which drops all
// entries and starts a new generation; a rendering started in an older
// generation is not stored, so a slow render can never resurrect data that
// a concurrent change replaced.
type renderCache struct {
	mu         sync.RWMutex
	maxEntries int
	maxBytes   int
	bytes      int
	gen        uint64
	ll         *list.List
	// items is keyed like heads, by the 128-bit keyed hash of the cache
	// key (the same trust as the ETags kept: a collision needs about 2^64
	// renderings, and the seeds are random per process).
	items map[headKey]*list.Element
	// targets holds, per target, what its renderings are made of in this
	// generation (see source); dropped with everything else.
	targets     map[targetKey]*source
	targetBytes int

	// heads keeps the ETag of many more renderings than the LRU keeps
	// bodies of, so that a HEAD (what every agent sends each watch
	// interval) from a fleet whose template uses a per-agent parameter is
	// answered without rendering. Keyed by a 128-bit keyed hash of the
	// cache key (random seeds per process, so a key cannot be chosen to
	// collide); the other headers are the target's, kept on its source.
	// Values hold no pointers: the garbage collector does not scan them.
	// Bounded by maxHeads, oldest inserted first out; dropped with the
	// generation like everything else.
	heads    map[headKey]headVal
	headRing []headKey
	headNext int
	maxHeads int
	seedA    maphash.Seed
	seedB    maphash.Seed
}

type headKey struct{ a, b uint64 }

type headVal struct {
	sum [16]byte
	n   uint32 // body length
}

// headsPerEntry: the heads kept per body the LRU may keep (4,096 entries:
// 262,144 heads, about 16 MiB), at most maxHeads (about 256 MiB).
const (
	headsPerEntry = 64
	maxHeadsEver  = 1 << 22
)

// maxTargets bounds the remembered targets (and the cache's maxBytes their
// templates); past either they are all dropped
// (a target without a source is read from the database and keyed by its
// whole query, which is always correct).
const maxTargets = 4096

type cacheEntry struct {
	key  headKey
	r    *Rendered
	used atomic.Bool // hit since eviction last passed it (second chance)
}

// touch marks e used (a hit, under the read lock): written only when it
// was not already, so a hot entry's cache line is not written on every
// hit.
func (e *cacheEntry) touch() {
	if !e.used.Load() {
		e.used.Store(true)
	}
}

func newRenderCache(maxEntries, maxBytes int) *renderCache {
	return &renderCache{maxEntries: maxEntries, maxBytes: maxBytes, ll: list.New(), items: map[headKey]*list.Element{}, targets: map[targetKey]*source{},
		heads: map[headKey]headVal{}, maxHeads: min(maxEntries*headsPerEntry, maxHeadsEver), seedA: maphash.MakeSeed(), seedB: maphash.MakeSeed()}
}

func (c *renderCache) headKey(key []byte) headKey {
	return headKey{maphash.Bytes(c.seedA, key), maphash.Bytes(c.seedB, key)}
}

func (c *renderCache) headKeyString(key string) headKey {
	return headKey{maphash.String(c.seedA, key), maphash.String(c.seedB, key)}
}

// putHead remembers the ETag of a rendering; c.mu is held.
func (c *renderCache) putHead(hk headKey, v headVal) {
	if c.maxHeads <= 0 {
		return
	}
	if _, ok := c.heads[hk]; !ok {
		if len(c.headRing) < c.maxHeads {
			c.headRing = append(c.headRing, hk)
		} else {
			delete(c.heads, c.headRing[c.headNext])
			c.headRing[c.headNext] = hk
			c.headNext = (c.headNext + 1) % c.maxHeads
		}
	}
	c.heads[hk] = v
}

// etagOf formats an ETag's bytes as tcd sends it.
func etagOf(sum [16]byte) string {
	var b [2 + 2*len(sum)]byte
	b[0], b[len(b)-1] = '"', '"'
	hex.Encode(b[1:], sum[:])
	return string(b[:])
}

func (c *renderCache) get(key string) (*Rendered, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if el, ok := c.items[c.headKeyString(key)]; ok {
		e := el.Value.(*cacheEntry)
		e.touch()
		return e.r, c.gen, true
	}
	return nil, c.gen, false
}

// lookup is the hit path: the target's source in this generation (nil if
// not known yet) and, if known, its rendering for query. It allocates only
// when the query gives a parameter the target references. With head, a
// rendering whose body is no longer kept may be answered by its headers
// alone (Rendered.Headers).
func (c *renderCache) lookup(tk targetKey, query url.Values, head bool) (*source, *Rendered, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	src := c.targets[tk]
	if src == nil {
		return nil, nil, c.gen
	}
	var buf [256]byte
	hk := c.headKey(src.appendKey(buf[:0], query))
	if el, ok := c.items[hk]; ok {
		e := el.Value.(*cacheEntry)
		e.touch()
		return src, e.r, c.gen
	}
	if head && src.proto != nil {
		if v, ok := c.heads[hk]; ok {
			r := *src.proto
			r.ETag, r.sum, r.bodyLen = etagOf(v.sum), v.sum, int(v.n)
			return src, &r, c.gen
		}
	}
	return src, nil, c.gen
}

// source returns a target's source in this generation (nil if not known).
func (c *renderCache) source(tk targetKey) (*source, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.targets[tk], c.gen
}

// putSource remembers a target's source, unless gen is over.
func (c *renderCache) putSource(gen uint64, tk targetKey, src *source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || src.size > c.maxBytes {
		return
	}
	if old := c.targets[tk]; old != nil {
		c.targetBytes -= old.size
	}
	if len(c.targets) >= maxTargets || c.targetBytes+src.size > c.maxBytes {
		c.targets, c.targetBytes = map[targetKey]*source{}, 0
	}
	c.targets[tk] = src
	c.targetBytes += src.size
}

// put caches r, the rendering of src (nil: none) under key, unless gen is
// over; its headers are kept beyond its body.
func (c *renderCache) put(gen uint64, src *source, key string, r *Rendered) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	hk := c.headKeyString(key)
	if src != nil && r.Err == nil && r.ETag != "" {
		if src.proto == nil {
			p := *r
			p.Body, p.ETag, p.sum = nil, "", [16]byte{}
			src.proto = &p
		}
		c.putHead(hk, headVal{sum: r.sum, n: uint32(len(r.Body))})
	}
	if r.size() > c.maxBytes {
		return
	}
	if el, ok := c.items[hk]; ok {
		c.bytes -= el.Value.(*cacheEntry).r.size()
		c.ll.Remove(el)
		delete(c.items, hk)
	}
	c.items[hk] = c.ll.PushFront(&cacheEntry{key: hk, r: r})
	c.bytes += r.size()
	for c.ll.Len() > c.maxEntries || c.bytes > c.maxBytes {
		el := c.ll.Back()
		e := el.Value.(*cacheEntry)
		if e.used.Load() && el != c.ll.Front() {
			// Used since last considered: a second chance. Each
			// pass clears a mark, so the loop ends.
			e.used.Store(false)
			c.ll.MoveToFront(el)
			continue
		}
		c.ll.Remove(el)
		delete(c.items, e.key)
		c.bytes -= e.r.size()
	}
}

func (c *renderCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.items = map[headKey]*list.Element{}
	c.targets, c.targetBytes = map[targetKey]*source{}, 0
	c.ll.Init()
	c.bytes = 0
	c.heads, c.headRing, c.headNext = map[headKey]headVal{}, nil, 0
}

func (c *renderCache) headsLen() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.heads)
}

func (c *renderCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ll.Len()
}
