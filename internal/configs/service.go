// Package configs is the business logic of configurations: validation,
// versions, labels, constants, aliases, config groups, and the rendering
// path that every agent polls — served from an in-memory cache that every
// change invalidates explicitly.
//
// Last-Modified: each config and group stores its own last-modified time in
// unix seconds. Every change of what a TOML endpoint would serve moves it to
// max(now, previous+1), so two changes within one second still give two
// different, increasing values (Telegraf compares the header as a string),
// and nothing but a change moves it (restarts included). A constant change
// moves exactly the configs that reference it and the groups holding them;
// a change of a config moves the groups holding it; a membership change
// moves the group.
package configs

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// AgentUsage tells the delete guard how many agents that reported within
// their reporting rule's threshold use a config. The agents feature
// (issue 5) plugs its implementation in through Options.Usage; until then
// NoAgents reports none.
type AgentUsage interface {
	ActiveAgentsUsing(ctx context.Context, configID string) (int, error)
}

// NoAgents is the AgentUsage of a tcd without agents: nobody uses anything.
type NoAgents struct{}

// ActiveAgentsUsing implements AgentUsage.
func (NoAgents) ActiveAgentsUsing(context.Context, string) (int, error) { return 0, nil }

// Options tunes New.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	Usage  AgentUsage
	// CacheEntries and CacheBytes bound the render cache (defaults 4096
	// entries and 64 MiB).
	CacheEntries int
	CacheBytes   int
	// Checks are the rules writes are held to (zero value: defaults).
	Checks Checks
	// AgentParam is the query parameter carrying an agent's identity
	// (default agent_id).
	AgentParam string
}

// Service implements configurations on a store.
type Service struct {
	st     *store.Store
	now    func() time.Time
	log    *slog.Logger
	usage  AgentUsage
	cache  *renderCache
	stats  renderStats
	checks Checks
	// checkSlots bounds how many write checks run at once.
	checkSlots chan struct{}
	memo       verdictMemo
	// txChecks counts checkServing runs (inside transactions); aheadHook,
	// set by tests only, runs after checkAhead has read the state.
	txChecks   atomic.Int64
	aheadHook  func()
	agentParam string
	router     atomic.Pointer[Router]
	recorder   atomic.Pointer[Recorder]
	versionsMu sync.Mutex
	versions   map[string]string
}

// New returns a Service on st.
func New(st *store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Usage == nil {
		o.Usage = NoAgents{}
	}
	if o.CacheEntries <= 0 {
		o.CacheEntries = 4096
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = 64 << 20
	}
	o.Checks.defaults()
	if o.AgentParam == "" {
		o.AgentParam = "agent_id"
	}
	return &Service{st: st, now: o.Now, log: o.Logger, usage: o.Usage, cache: newRenderCache(o.CacheEntries, o.CacheBytes), checks: o.Checks,
		checkSlots: make(chan struct{}, runtime.GOMAXPROCS(0)), agentParam: o.AgentParam, versions: map[string]string{}}
}

// SetUsage replaces the delete guard's view of agents (for the agents feature).
func (s *Service) SetUsage(u AgentUsage) {
	if u == nil {
		u = NoAgents{}
	}
	s.usage = u
}

// Close releases nothing today; it keeps the component interface.
func (s *Service) Close() error { return nil }

func (s *Service) unixNow() int64 { return s.now().UTC().Unix() }

// write runs fn in a transaction that also notifies the other nodes of a
// cluster, and, whatever the outcome, drops every cached rendering
// afterwards (a failed transaction changed nothing, but dropping is always
// safe).
func (s *Service) write(ctx context.Context, fn func(tx *store.Store) error) error {
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		if err := fn(tx); err != nil {
			return err
		}
		return notify(ctx, tx)
	})
	s.dropCaches()
	// Within an API request the change commits with its audit entry, after
	// this returns: drop again then, or a fetch in between could cache the
	// renderings of before.
	store.AfterCommit(ctx, s.dropCaches)
	return err
}

// dropCaches forgets every rendering and every version's TOML kept for
// rollouts. Versions do not change, but their numbers can come back: a
// prune may delete a staged version above the current one (an aborted
// rollout's), and the next version takes its number — a kept TOML would
// then be served for the new version.
func (s *Service) dropCaches() {
	s.cache.invalidate()
	s.versionsMu.Lock()
	clear(s.versions)
	s.versionsMu.Unlock()
}

// reloadRollouts has the router reload the active rollouts once the
// request's change committed, when a write may have ended some (deleting
// a config aborts its rollouts).
func (s *Service) reloadRollouts(ctx context.Context) {
	if rp := s.router.Load(); rp != nil && *rp != nil && (*rp).Any() {
		if r, ok := (*rp).(interface{ DropCache() }); ok {
			store.AfterCommit(ctx, r.DropCache)
		}
	}
}

// bumpConfigs moves the last-modified of configs and of the groups that
// hold them.
func bumpConfigs(ctx context.Context, tx *store.Store, now int64, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := tx.BumpConfigs(ctx, ids, now); err != nil {
		return err
	}
	groups, err := tx.GroupsContaining(ctx, ids)
	if err != nil {
		return err
	}
	return tx.BumpGroups(ctx, groups, now)
}

func author(name string) string {
	if name == "" {
		return "anonymous"
	}
	return name
}

func lmTime(unix int64) time.Time { return time.Unix(unix, 0).UTC() }

func notFound(format string, args ...any) error { return tc.Errorf(tc.ENotFound, format, args...) }
