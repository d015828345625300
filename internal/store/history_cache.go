package store

import (
	"hash/maphash"
	"sync"
)

// historyCache remembers, per agent, the time of the newest statistics
// record this process wrote, so that the heartbeats between two records
// (HistoryResolution apart) skip the history statement altogether: with
// agents reporting every 10 s, five of six heartbeats. Only a hit skips
// anything; a miss runs the statement, which checks the table itself, so
// a cold cache, another cluster node's records or a forgotten entry cost
// one statement, never a wrong record.
//
// Agents are keyed by a 64-bit hash of their ID (about 40 bytes per agent
// instead of the ID itself); two IDs sharing a hash could only thin one
// of them to a record per two minutes, and at a million agents the odds
// of any such pair are below one in ten million.
type historyCache struct {
	mu   sync.Mutex
	seed maphash.Seed
	m    map[uint64]int64
}

// historyCacheMax bounds the cache; past it the cache starts over.
const historyCacheMax = 4 << 20

func newHistoryCache() *historyCache {
	return &historyCache{seed: maphash.MakeSeed(), m: map[uint64]int64{}}
}

func (c *historyCache) key(agentID string) uint64 { return maphash.String(c.seed, agentID) }

// recent reports whether a record of the agent newer than
// atMs - HistoryResolution is known.
func (c *historyCache) recent(key uint64, atMs int64) bool {
	c.mu.Lock()
	last, ok := c.m[key]
	c.mu.Unlock()
	return ok && last <= atMs && atMs-last < HistoryResolution.Milliseconds()
}

// recorded notes committed records.
func (c *historyCache) recorded(keys []uint64, atMs []int64) {
	if len(keys) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m)+len(keys) > historyCacheMax {
		c.m = map[uint64]int64{}
	}
	for i, k := range keys {
		if atMs[i] > c.m[k] {
			c.m[k] = atMs[i]
		}
	}
}

// forget drops agents whose records were deleted with them.
func (c *historyCache) forget(agentIDs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range agentIDs {
		delete(c.m, c.key(id))
	}
}
