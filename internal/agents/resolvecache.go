package agents

import (
	"context"
	"sync"
	"time"
)

// resolveTTL is how long a config or group reference resolved for a
// heartbeat is reused. Every agent reports its configuration URLs in every
// heartbeat, so without it each heartbeat cost one to three database reads;
// with it, a whole fleet polling the same configs costs a few reads a
// second. A change to a config or alias shows in agents' classification
// within this time (the next heartbeat writes the classification afresh).
const resolveTTL = time.Second

// maxResolveEntries bounds the cache; when full it is cleared.
const maxResolveEntries = 10000

type resolved struct {
	id      string
	ok      bool
	expires time.Time
}

// cachedResolver memoizes a ConfigResolver for resolveTTL.
type cachedResolver struct {
	next ConfigResolver
	mu   sync.Mutex
	m    map[string]resolved // "c:" or "g:" + reference
}

func newCachedResolver(next ConfigResolver) *cachedResolver {
	return &cachedResolver{next: next, m: map[string]resolved{}}
}

func (c *cachedResolver) lookup(ctx context.Context, key string, fn func(context.Context, string) (string, bool), ref string) (string, bool) {
	now := time.Now()
	c.mu.Lock()
	r, hit := c.m[key]
	c.mu.Unlock()
	if hit && now.Before(r.expires) {
		return r.id, r.ok
	}
	id, ok := fn(ctx, ref)
	if ctx.Err() != nil { // a cancelled lookup says nothing about the reference
		return id, ok
	}
	c.mu.Lock()
	if len(c.m) >= maxResolveEntries {
		c.m = map[string]resolved{}
	}
	c.m[key] = resolved{id: id, ok: ok, expires: now.Add(resolveTTL)}
	c.mu.Unlock()
	return id, ok
}

func (c *cachedResolver) ResolveConfig(ctx context.Context, ref string) (string, bool) {
	return c.lookup(ctx, "c:"+ref, c.next.ResolveConfig, ref)
}

func (c *cachedResolver) ResolveGroup(ctx context.Context, ref string) (string, bool) {
	return c.lookup(ctx, "g:"+ref, c.next.ResolveGroup, ref)
}
