package store

import (
	"hash/maphash"
	"sync"
)

// historyCache remembers, per agent, the minute of the open statistics
// record (history.go) this process last saw, so that the other heartbeats
// of that minute skip the statement that closes an open record: with
// agents reporting every 10 s, five of six heartbeats. Only a hit skips
// anything, and a skipped close only means the heartbeat adds to whatever
// record is open; a miss runs the statement, which checks the agents row
// itself, so a cold cache, another cluster node's heartbeats or a
// forgotten entry cost one statement, never a count.
//
// Agents are keyed by a 64-bit hash of their ID (about 40 bytes per agent
// instead of the ID itself); two IDs sharing a hash could only make one
// of them count a heartbeat in the record of the minute before (no count
// is lost), and at a million agents the odds of any such pair are below
// one in ten million.
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

// open reports whether the agent's open record is known to be the one of
// the minute slotMs.
func (c *historyCache) open(key uint64, slotMs int64) bool {
	c.mu.Lock()
	slot, ok := c.m[key]
	c.mu.Unlock()
	return ok && slot == slotMs
}

// recorded notes the minutes of open records a committed transaction
// left (a minute never moves back).
func (c *historyCache) recorded(keys []uint64, slotMs []int64) {
	if len(keys) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m)+len(keys) > historyCacheMax {
		c.m = map[uint64]int64{}
	}
	for i, k := range keys {
		if slotMs[i] > c.m[k] {
			c.m[k] = slotMs[i]
		}
	}
}

// forget drops agents deleted with their records.
func (c *historyCache) forget(agentIDs []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range agentIDs {
		delete(c.m, c.key(id))
	}
}
