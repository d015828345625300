package rollouts

import (
	"context"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/store"
)

// Recorder keeps what the serving path answered agents and writes it to
// served_versions in batches from a background goroutine.
//
// Per agent and target (a member config per group it is fetched through,
// see Served) it keeps, without pointers (so the garbage collector never
// scans it, however large the fleet), what the agent was last answered
// (version, Last-Modified, ETag hash), its newest fetch and poll times,
// and those times as last written. A request that only moves
// a time by less than Granularity past what was written, which is what a
// steady fleet's polls do, costs one map update under one of many locks
// and nothing else: no allocation, no record, no write. Anything else (a
// new agent, a new version or rendering, a first fetch, a time that moved
// Granularity or more) queues the agent and target for the next flush,
// which writes their state as it is then. A crash loses what was not yet
// written (at most one flush interval, one second by default).
type Recorder struct {
	st       *store.Store
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration
	max      int
	seed     maphash.Seed
	shards   [recShards]recShard
	pending  atomic.Int64

	dropped, written, flushes atomic.Int64
	flushMu                   sync.Mutex
	// Granularity is how far a fetch or poll time must move past what was
	// written before it is written again (set before the first Served).
	Granularity time.Duration
	// OnFlush, if set before Run, is called after every successful flush.
	OnFlush func()
}

// recState is what the recorder knows of one agent and target (about 60
// bytes, no pointers). Times are unix milliseconds; w* are as last written
// or handed to a write (0: never).
type recState struct {
	version             int32
	queued              int32 // 1 + index in the shard's queue, 0: not queued
	lm                  int64
	etag                uint64
	fetchedMs, polledMs int64
	wFetchedMs          int64
	wPolledMs           int64
}

// recQueued is an agent and target waiting for the next flush, with the
// strings its record needs (the state holds only hashes).
type recQueued struct {
	key                       uint64
	agent, target, kind, etag string
}

// maxStates bounds the states kept (about 80 bytes each with the map's
// overhead): a shard over its share forgets the states not queued, whose
// agents are then written once more at their next request.
const maxStates = 2_000_000

const recShards = 64

type recShard struct {
	mu      sync.Mutex
	m       map[uint64]recState
	q       []recQueued
	skipped int64 // requests that queued nothing, under mu
	_       [16]byte
}

// NewRecorder returns a recorder that writes every interval and holds at
// most maxPending records between writes (beyond, new ones are dropped
// and counted, and noted again at the agent's next request).
func NewRecorder(st *store.Store, log *slog.Logger, now func() time.Time, interval time.Duration, maxPending int) *Recorder {
	if interval <= 0 {
		interval = time.Second
	}
	if maxPending <= 0 {
		maxPending = 1 << 20
	}
	r := &Recorder{st: st, log: log, now: now, interval: interval, max: maxPending, seed: maphash.MakeSeed(),
		Granularity: 30 * time.Second}
	for i := range r.shards {
		r.shards[i].m = map[uint64]recState{}
	}
	return r
}

// key is the state of agent and target fetched directly (via ""), or of
// member config target fetched through group via.
func (r *Recorder) key(agent, target, via string) uint64 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.WriteString(agent)
	h.WriteByte(0)
	h.WriteString(target)
	if via != "" {
		h.WriteByte(1)
		h.WriteString(via)
	}
	return h.Sum64()
}

// Served implements configs.Recorder. A group rendering is recorded as
// the group (version 0) and, per member config, as that config at the
// version the rendering holds (with the member version's Last-Modified and
// the group's ETag): so who-runs-what shows the config versions an agent
// on a group runs, a rollout's gate sees the agents that fetched its new
// version through a group, and its stages count them among the config's
// agents.
//
// A member config keeps a state per group it is fetched through, apart
// from its state as a config fetched directly: an agent that fetches the
// same version both ways (or through two groups) is answered another ETag
// each way, and one shared state would take every such request for a new
// rendering and queue a write. Kept apart, each way is a steady poll of
// its own; both write the one row of that version (agent, config,
// version).
func (r *Recorder) Served(agent string, rd *configs.Rendered, fetched bool) {
	ms := r.now().UnixMilli()
	r.note(agent, rd.TargetID, "", rd.Kind, rd.Version, rd.ETag, rd.LastModified.Unix(), ms, fetched)
	if rd.Kind == configs.KindGroup {
		for _, m := range rd.Members {
			r.note(agent, m.ID, rd.TargetID, configs.KindConfig, m.Version, rd.ETag, m.LastModified, ms, fetched)
		}
	}
}

// note records one answer to agent about target, fetched through group
// via ("": directly).
func (r *Recorder) note(agent, target, via, kind string, version int, etag string, lm, ms int64, fetched bool) {
	k := r.key(agent, target, via)
	eh := maphash.String(r.seed, etag)
	g := r.Granularity.Milliseconds()
	sh := &r.shards[k%recShards]
	sh.mu.Lock()
	st, ok := sh.m[k]
	same := ok && st.version == int32(version) && st.lm == lm && st.etag == eh
	// A HEAD or 304 is a poll: it records that the agent still polls what
	// it fetched, even when it was answered another rendering's headers
	// (a rollout's stage, a new version): the agent runs what it fetched
	// until it fetches again. Only an agent that never fetched follows
	// what its polls were answered.
	if same || ok && !fetched && st.fetchedMs > 0 {
		st.polledMs = max(st.polledMs, ms)
		if fetched {
			st.fetchedMs = max(st.fetchedMs, ms)
		}
	} else {
		// New, or answered something else than before: what was
		// written is of another rendering (the times start again).
		st = recState{version: int32(version), lm: lm, etag: eh, polledMs: ms, queued: st.queued}
		if fetched {
			st.fetchedMs = ms
		}
		if st.queued > 0 {
			sh.q[st.queued-1].etag = etag
		}
	}
	if st.queued == 0 {
		due := st.wPolledMs == 0 || st.polledMs-st.wPolledMs >= g ||
			st.fetchedMs > 0 && (st.wFetchedMs == 0 || st.fetchedMs-st.wFetchedMs >= g)
		switch {
		case !due:
			sh.skipped++
		case r.pending.Load() >= int64(r.max):
			r.dropped.Add(1)
		default:
			r.pending.Add(1)
			sh.q = append(sh.q, recQueued{key: k, agent: strings.Clone(agent), target: target, kind: kind, etag: etag})
			st.queued = int32(len(sh.q))
		}
	}
	if !ok && len(sh.m) >= maxStates/recShards {
		r.forget(sh)
	}
	sh.m[k] = st
	sh.mu.Unlock()
}

// forget drops a full shard's states except the queued ones (sh.mu held).
func (r *Recorder) forget(sh *recShard) {
	m := make(map[uint64]recState, len(sh.q))
	for _, q := range sh.q {
		m[q.key] = sh.m[q.key]
	}
	sh.m = m
}

// Run flushes every interval until ctx ends, then once more.
func (r *Recorder) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := r.Flush(fctx); err != nil {
				r.log.Warn("writing the last served-version records failed", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("writing served-version records failed; they are retried at the next flush", "err", err)
			}
		}
	}
}

// Flush writes everything queued so far.
func (r *Recorder) Flush(ctx context.Context) error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	var batch []store.ServedRecord
	var keys []uint64 // the state of each record
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for _, q := range sh.q {
			st := sh.m[q.key]
			rec := store.ServedRecord{AgentID: q.agent, TargetID: q.target, Kind: q.kind, Version: int(st.version), ETag: q.etag,
				LastModified: st.lm, FetchedMs: st.fetchedMs, PolledMs: st.polledMs}
			st.queued, st.wFetchedMs, st.wPolledMs = 0, st.fetchedMs, st.polledMs
			sh.m[q.key] = st
			batch = append(batch, rec)
			keys = append(keys, q.key)
		}
		clear(sh.q)
		sh.q = sh.q[:0]
		sh.mu.Unlock()
	}
	r.pending.Add(-int64(len(batch)))
	if len(batch) == 0 {
		return nil
	}
	if err := r.st.RecordServed(ctx, batch); err != nil {
		// Queue them again, as they are now (unless over the bound).
		for i, v := range batch {
			k := keys[i]
			sh := &r.shards[k%recShards]
			sh.mu.Lock()
			if st, ok := sh.m[k]; ok && st.queued == 0 {
				st.wFetchedMs, st.wPolledMs = 0, 0
				if r.pending.Load() < int64(r.max) {
					r.pending.Add(1)
					sh.q = append(sh.q, recQueued{key: k, agent: v.AgentID, target: v.TargetID, kind: v.Kind, etag: v.ETag})
					st.queued = int32(len(sh.q))
				}
				sh.m[k] = st
			}
			sh.mu.Unlock()
		}
		return err
	}
	r.written.Add(int64(len(batch)))
	r.flushes.Add(1)
	if r.OnFlush != nil {
		r.OnFlush()
	}
	return nil
}

// Stats returns records written, dropped (over the bound) and flushes.
func (r *Recorder) Stats() (written, dropped, flushes int64) {
	return r.written.Load(), r.dropped.Load(), r.flushes.Load()
}

// Skipped returns how many records were not written because they only
// moved a last fetch or poll time by less than Granularity.
func (r *Recorder) Skipped() int64 {
	var n int64
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		n += sh.skipped
		sh.mu.Unlock()
	}
	return n
}
