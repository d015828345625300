package configs

import (
	"container/list"
	"net/url"
	"sync"
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
}

func (r *Rendered) size() int { return len(r.Body) + len(r.Name) + 256 }

// renderCache is a bounded LRU of renderings keyed by target and canonical
// query. Every write to configurations calls invalidate, which drops all
// entries and starts a new generation; a rendering started in an older
// generation is not stored, so a slow render can never resurrect data that
// a concurrent change replaced.
type renderCache struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int
	bytes      int
	gen        uint64
	ll         *list.List
	items      map[string]*list.Element
	// targets holds, per target, what its renderings are made of in this
	// generation (see source); dropped with everything else.
	targets     map[targetKey]*source
	targetBytes int
}

// maxTargets bounds the remembered targets (and the cache's maxBytes their
// templates); past either they are all dropped
// (a target without a source is read from the database and keyed by its
// whole query, which is always correct).
const maxTargets = 4096

type cacheEntry struct {
	key string
	r   *Rendered
}

func newRenderCache(maxEntries, maxBytes int) *renderCache {
	return &renderCache{maxEntries: maxEntries, maxBytes: maxBytes, ll: list.New(), items: map[string]*list.Element{}, targets: map[targetKey]*source{}}
}

func (c *renderCache) get(key string) (*Rendered, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*cacheEntry).r, c.gen, true
	}
	return nil, c.gen, false
}

// lookup is the hit path: the target's source in this generation (nil if
// not known yet) and, if known, its rendering for query. It allocates only
// when the query gives a parameter the target references.
func (c *renderCache) lookup(tk targetKey, query url.Values) (*source, *Rendered, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	src := c.targets[tk]
	if src == nil {
		return nil, nil, c.gen
	}
	var buf [256]byte
	if el, ok := c.items[string(src.appendKey(buf[:0], query))]; ok {
		c.ll.MoveToFront(el)
		return src, el.Value.(*cacheEntry).r, c.gen
	}
	return src, nil, c.gen
}

// source returns a target's source in this generation (nil if not known).
func (c *renderCache) source(tk targetKey) (*source, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
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

func (c *renderCache) put(gen uint64, key string, r *Rendered) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || r.size() > c.maxBytes {
		return
	}
	if el, ok := c.items[key]; ok {
		c.bytes -= el.Value.(*cacheEntry).r.size()
		c.ll.Remove(el)
		delete(c.items, key)
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, r: r})
	c.bytes += r.size()
	for c.ll.Len() > c.maxEntries || c.bytes > c.maxBytes {
		el := c.ll.Back()
		e := el.Value.(*cacheEntry)
		c.ll.Remove(el)
		delete(c.items, e.key)
		c.bytes -= e.r.size()
	}
}

func (c *renderCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.items = map[string]*list.Element{}
	c.targets, c.targetBytes = map[targetKey]*source{}, 0
	c.ll.Init()
	c.bytes = 0
}

func (c *renderCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
