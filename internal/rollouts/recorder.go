package rollouts

import (
	"context"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/store"
)

// Recorder keeps what the serving path answered agents in memory,
// coalesced per agent and target, and writes it in batches from a
// background goroutine: a fetch costs a map assignment under one of many
// locks. A crash loses what was not yet written (at most one flush
// interval, one second by default).
type Recorder struct {
	st       *store.Store
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration
	max      int
	seed     maphash.Seed
	shards   [recShards]recShard
	pending  atomic.Int64

	dropped, written, flushes, skipped atomic.Int64
	flushMu                            sync.Mutex
	// last is what was last written per agent and target (under flushMu):
	// a record that only moves the last fetch or poll time by less than
	// Granularity is not written again, so a steady fleet costs the
	// database little more than its reloads.
	// It holds no pointers (keys and ETags are hashed), so the garbage
	// collector does not scan it however large the fleet.
	last        map[uint64]lastWritten
	Granularity time.Duration
	// OnFlush, if set before Run, is called after every successful flush.
	OnFlush func()
}

type lastWritten struct {
	version           int
	lm                int64
	etag              uint64
	fetchedMs, polled int64
}

func (r *Recorder) lastKey(v *store.ServedRecord) uint64 {
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.WriteString(v.AgentID)
	h.WriteByte(0)
	h.WriteString(v.TargetID)
	return h.Sum64()
}

// maxLast bounds the memory of last writes (about 100 bytes each).
const maxLast = 2_000_000

func (r *Recorder) unchanged(v store.ServedRecord) bool {
	w, ok := r.last[r.lastKey(&v)]
	if !ok || w.version != v.Version || w.lm != v.LastModified || w.etag != maphash.String(r.seed, v.ETag) {
		return false
	}
	g := r.Granularity.Milliseconds()
	return v.FetchedMs-w.fetchedMs < g && v.PolledMs-w.polled < g && (v.FetchedMs == 0 || w.fetchedMs > 0)
}

func (r *Recorder) remember(batch []store.ServedRecord) {
	if len(r.last)+len(batch) > maxLast {
		r.last = make(map[uint64]lastWritten, len(batch))
	}
	for _, v := range batch {
		k := r.lastKey(&v)
		w := r.last[k]
		etag := maphash.String(r.seed, v.ETag)
		if w.version != v.Version || w.lm != v.LastModified || w.etag != etag {
			w = lastWritten{version: v.Version, lm: v.LastModified, etag: etag}
		}
		w.fetchedMs, w.polled = max(w.fetchedMs, v.FetchedMs), max(w.polled, v.PolledMs)
		r.last[k] = w
	}
}

const recShards = 64

type recShard struct {
	mu sync.Mutex
	m  map[recKey]store.ServedRecord
}

type recKey struct{ agent, target string }

// NewRecorder returns a recorder that writes every interval and holds at
// most maxPending records between writes (beyond, new ones are dropped
// and counted).
func NewRecorder(st *store.Store, log *slog.Logger, now func() time.Time, interval time.Duration, maxPending int) *Recorder {
	if interval <= 0 {
		interval = time.Second
	}
	if maxPending <= 0 {
		maxPending = 1 << 20
	}
	r := &Recorder{st: st, log: log, now: now, interval: interval, max: maxPending, seed: maphash.MakeSeed(),
		last: map[uint64]lastWritten{}, Granularity: 30 * time.Second}
	for i := range r.shards {
		r.shards[i].m = map[recKey]store.ServedRecord{}
	}
	return r
}

// Served implements configs.Recorder. A group rendering is recorded as
// the group (version 0) and, per member config, as that config at the
// version the rendering holds (with the member version's Last-Modified and
// the group's ETag): so who-runs-what shows the config versions an agent
// on a group runs, a rollout's gate sees the agents that fetched its new
// version through a group, and its stages count them among the config's
// agents.
func (r *Recorder) Served(agent string, rd *configs.Rendered, fetched bool) {
	ms := r.now().UnixMilli()
	sh := &r.shards[maphash.String(r.seed, agent)%recShards]
	sh.mu.Lock()
	r.note(sh, store.ServedRecord{AgentID: agent, TargetID: rd.TargetID, Kind: rd.Kind, Version: rd.Version, ETag: rd.ETag,
		LastModified: rd.LastModified.Unix(), PolledMs: ms}, fetched)
	if rd.Kind == configs.KindGroup {
		for _, m := range rd.Members {
			r.note(sh, store.ServedRecord{AgentID: agent, TargetID: m.ID, Kind: configs.KindConfig, Version: m.Version, ETag: rd.ETag,
				LastModified: m.LastModified, PolledMs: ms}, fetched)
		}
	}
	sh.mu.Unlock()
}

// note coalesces one record into its shard (sh.mu held).
func (r *Recorder) note(sh *recShard, rec store.ServedRecord, fetched bool) {
	k := recKey{rec.AgentID, rec.TargetID}
	old, ok := sh.m[k]
	if !ok {
		if r.pending.Load() >= int64(r.max) {
			r.dropped.Add(1)
			return
		}
		r.pending.Add(1)
	}
	if fetched {
		rec.FetchedMs = rec.PolledMs
	} else if ok && old.Version == rec.Version && old.LastModified == rec.LastModified {
		rec.FetchedMs = old.FetchedMs // a poll after a fetch in the same interval keeps the fetch
	}
	sh.m[k] = rec
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

// Flush writes everything recorded so far.
func (r *Recorder) Flush(ctx context.Context) error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	var batch []store.ServedRecord
	taken := 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		if len(sh.m) > 0 {
			taken += len(sh.m)
			for _, v := range sh.m {
				if r.unchanged(v) {
					r.skipped.Add(1)
					continue
				}
				batch = append(batch, v)
			}
			sh.m = make(map[recKey]store.ServedRecord, len(sh.m))
		}
		sh.mu.Unlock()
	}
	r.pending.Add(-int64(taken))
	if len(batch) == 0 {
		return nil
	}
	if err := r.st.RecordServed(ctx, batch); err != nil {
		// Put them back unless newer records replaced them meanwhile.
		for _, v := range batch {
			sh := &r.shards[maphash.String(r.seed, v.AgentID)%recShards]
			sh.mu.Lock()
			if _, ok := sh.m[recKey{v.AgentID, v.TargetID}]; !ok && r.pending.Load() < int64(r.max) {
				sh.m[recKey{v.AgentID, v.TargetID}] = v
				r.pending.Add(1)
			}
			sh.mu.Unlock()
		}
		return err
	}
	r.remember(batch)
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
func (r *Recorder) Skipped() int64 { return r.skipped.Load() }
