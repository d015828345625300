package configs

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Router decides, during a rollout, which version of a config an agent is
// served. It must be an in-memory lookup: it runs on every fetch.
type Router interface {
	// Route returns the version and the Last-Modified (unix seconds) to
	// serve agent (its identity; "" for none) instead of the current
	// version, or ok false to serve the current version.
	Route(configID, agent string) (version int, lastModified int64, ok bool)
	// Active returns the running or paused rollout of a config ("" none).
	Active(configID string) string
	// Any reports whether any rollout is running or paused.
	Any() bool
}

// Recorder observes what the serving path answered an agent (who runs
// what). It must not block: it runs on every fetch that names an agent.
type Recorder interface {
	Served(agent string, r *Rendered, fetched bool)
}

// SetRollouts plugs in the rollout router and the served-version recorder.
func (s *Service) SetRollouts(r Router, rec Recorder) {
	s.router.Store(&r)
	s.recorder.Store(&rec)
}

// AgentParam is the query parameter that carries an agent's identity.
func (s *Service) AgentParam() string { return s.agentParam }

// ForAgent returns what agent (its identity, "" for none) is served in
// place of r, the current rendering: the version a running rollout assigns
// it, with that version's Last-Modified. Without a rollout it is r.
func (s *Service) ForAgent(ctx context.Context, r *Rendered, agent string, query url.Values) (*Rendered, error) {
	return s.forAgent(ctx, r, agent, query, false)
}

func (s *Service) forAgent(ctx context.Context, r *Rendered, agent string, query url.Values, head bool) (*Rendered, error) {
	if r == nil || r.Kind != KindConfig {
		return r, nil
	}
	rp := s.router.Load()
	if rp == nil || *rp == nil {
		return r, nil
	}
	v, lm, ok := (*rp).Route(r.TargetID, agent)
	if !ok {
		return r, nil
	}
	// A change of constants moves the config's Last-Modified: every agent
	// reloads then, whichever version it runs.
	lm = max(lm, r.LastModified.Unix())
	if v == r.Version && lm == r.LastModified.Unix() {
		return r, nil
	}
	return s.versioned(ctx, nil, r.TargetID, v, lm, query, head)
}

// Serve answers a TOML URL for agent (its identity, "" for none): kind is
// "config", "group" or "alias". During a rollout an agent routed to
// another version than the current one is rendered only that version.
//
// With head (a HEAD, or a conditional GET that may be answered 304) the
// answer may carry its headers only (Rendered.Headers: ETag, Last-Modified,
// target and version, no body) when the cache kept them beyond the body;
// a caller that needs the body then asks again without head.
func (s *Service) Serve(ctx context.Context, kind, ref string, query url.Values, agent string, head bool) (*Rendered, error) {
	k := targetKindOf(kind)
	if k == "" {
		return nil, fmt.Errorf("unknown target kind %q", kind)
	}
	rp := s.router.Load()
	if rp == nil || *rp == nil || !(*rp).Any() {
		r, err := s.rendered(ctx, k, ref, query, head)
		if err != nil {
			return r, err
		}
		return s.forAgent(ctx, r, agent, query, head)
	}
	// A rollout runs: ask the router before looking up or rendering
	// anything (an agent routed to another version needs only that one).
	tk := targetKey{kind: k, ref: ref}
	src, gen := s.cache.source(tk)
	if src == nil {
		var err error
		if src, err = s.loadSource(ctx, tk, nil); err != nil {
			return nil, err
		}
		s.cache.putSource(gen, tk, src)
	}
	if row := src.row; row != nil && src.err == nil {
		if v, lm, ok := (*rp).Route(row.ID, agent); ok {
			lm = max(lm, row.LastModified)
			if v != row.Version || lm != row.LastModified {
				return s.versioned(ctx, row, row.ID, v, lm, query, head)
			}
		}
	} else if src.group != nil && src.err == nil {
		// A group renders each member at the version the member's
		// rollout routes this agent to.
		if vk, ok := groupRoute(*rp, src, agent); ok {
			return s.renderTarget(ctx, vk, nil, query, head)
		}
	}
	cached, r, lgen := s.cache.lookup(tk, query, head)
	if r != nil {
		s.stats.hits.Add(1)
		return r, r.Err
	}
	if cached != nil {
		// The cache's source (the same, unless a write ended the
		// generation meanwhile: then its rendering is of the new one).
		src, gen = cached, lgen
	}
	// Otherwise src's own generation: if it ended, nothing is stored.
	return s.renderMiss(src, gen, query)
}

// groupRoute returns the target of a group rendered for agent with the
// members a rollout routes it to another version than the current one, or
// ok false when no member is (the group's current rendering). It
// allocates only for an agent that is routed.
func groupRoute(rt Router, src *source, agent string) (targetKey, bool) {
	var b []byte
	for _, m := range src.members {
		v, lm, ok := rt.Route(m.ID, agent)
		if !ok {
			continue
		}
		lm = max(lm, m.LastModified)
		if v == m.Version && lm == m.LastModified {
			continue
		}
		if b == nil {
			b = append(b, src.group.ID...)
		}
		b = append(b, 0)
		b = append(b, m.ID...)
		b = append(b, 0)
		b = strconv.AppendInt(b, int64(v), 10)
		b = append(b, 0)
		b = strconv.AppendInt(b, lm, 10)
	}
	if b == nil {
		return targetKey{}, false
	}
	return targetKey{kind: targetGroupVersions, ref: string(b)}, true
}

// resolveGroupVersions reads a group whose routed members (see groupRoute)
// are rendered at the version named, with that version's Last-Modified.
// The group's Last-Modified is the newest of the routed members' when it
// is newer than the group's own, else one second past the group's: either
// way it differs from what the agent was served before (the current
// rendering, or another routed one with other Last-Modified values), so
// Telegraf reloads exactly when its rendering changes. The rollout engine
// picks its Last-Modified values past those of the groups holding the
// config, so the second case arises only when a group changes during a
// rollout.
func (s *Service) resolveGroupVersions(ctx context.Context, ref string, src *source) error {
	parts := strings.Split(ref, "\x00")
	g, err := s.st.GroupByID(ctx, parts[0])
	if err != nil {
		return err
	}
	gc := *g
	src.group = &gc
	if err := s.loadMembers(ctx, src); err != nil {
		return err
	}
	type route struct {
		v  int
		lm int64
	}
	routed := map[string]route{}
	for i := 1; i+2 < len(parts); i += 3 {
		v, err1 := strconv.Atoi(parts[i+1])
		lm, err2 := strconv.ParseInt(parts[i+2], 10, 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("malformed group route %q", ref)
		}
		routed[parts[i]] = route{v, lm}
	}
	var top int64
	applied := false
	for i, m := range src.members {
		r, ok := routed[m.ID]
		if !ok {
			continue
		}
		toml, err := s.versionTOML(ctx, m.ID, r.v)
		if err != nil {
			return err
		}
		vr := *m
		vr.TOML, vr.Version, vr.LastModified = toml, r.v, r.lm
		src.members[i] = &vr
		top, applied = max(top, r.lm), true
	}
	if applied {
		if top > gc.LastModified {
			gc.LastModified = top
		} else {
			gc.LastModified++
		}
	}
	return nil
}

func targetKindOf(kind string) string {
	switch kind {
	case "config":
		return targetConfig
	case "group":
		return targetGroup
	case "alias":
		return targetAlias
	}
	return ""
}

// versioned renders version v of a config with Last-Modified lm, cached.
// row is the config's current row (nil: read it).
func (s *Service) versioned(ctx context.Context, row *store.ConfigRow, id string, v int, lm int64, query url.Values, head bool) (*Rendered, error) {
	return s.renderTarget(ctx, targetKey{kind: targetVersion, ref: id, v: v, lm: lm}, row, query, head)
}

// versionTOML returns the TOML of a version: versions never change, so it
// is kept in memory (a few per rollout).
func (s *Service) versionTOML(ctx context.Context, id string, v int) (string, error) {
	key := id + "\x00" + strconv.Itoa(v)
	s.versionsMu.Lock()
	t, ok := s.versions[key]
	s.versionsMu.Unlock()
	if ok {
		return t, nil
	}
	ver, err := s.st.Version(ctx, id, v)
	if err != nil {
		if tc.IsCode(err, tc.ENotFound) {
			return "", fmt.Errorf("rollout names version %d of config %s, which no longer exists: %w", v, id, err)
		}
		return "", err
	}
	s.versionsMu.Lock()
	if len(s.versions) >= 256 {
		s.versions = map[string]string{}
	}
	s.versions[key] = ver.TOML
	s.versionsMu.Unlock()
	return ver.TOML, nil
}

// NoteServed tells the recorder what an agent was answered (fetched: a GET
// answered 200; otherwise HEAD or 304).
func (s *Service) NoteServed(agent string, r *Rendered, fetched bool) {
	if agent == "" || r == nil || r.Err != nil || r.TargetID == "" || !recordableAgent(agent) {
		return
	}
	if rp := s.recorder.Load(); rp != nil && *rp != nil {
		(*rp).Served(agent, r, fetched)
	}
}

// maxAgentIDLen is the longest ID a heartbeat may carry.
const maxAgentIDLen = 256

// recordableAgent reports whether an identity can be an agent's (at most
// 256 bytes, not blank, no control characters, as heartbeats require): no agent can
// run under another, so the recorder keeps none (a flood of 16 KB
// identities would otherwise hold 16 KB per pending record).
func recordableAgent(agent string) bool {
	if len(agent) > maxAgentIDLen || strings.TrimSpace(agent) == "" {
		return false
	}
	for i := 0; i < len(agent); i++ {
		if c := agent[i]; c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// refuseDuringRollout refuses a new current version of a config while a
// rollout of it runs (the rollout decides what agents get).
func (s *Service) refuseDuringRollout(ctx context.Context, tx *store.Store, row *store.ConfigRow) error {
	ro, err := tx.ActiveRollout(ctx, row.ID)
	if err != nil || ro == nil {
		return err
	}
	return tc.Errorf(tc.EConflict, "config %q is being rolled out (rollout %s, version %d to %d, %s): wait until it completes, abort it with `tcctl rollout abort %s`, or queue this version behind it with `tcctl config push --rollout`",
		row.Name, ro.ID, ro.FromVersion, ro.ToVersion, ro.State, row.Name).With("rollout", ro.ID)
}

// AddVersion stores TOML as a new version of a config without serving it
// (a rollout will), and returns the config and the version's number.
// Errors: not_found, invalid.
func (s *Service) AddVersion(ctx context.Context, who, ref, toml, note string) (tc.Config, int, error) {
	if _, err := tc.CheckText("note", note, tc.MaxNoteLen); err != nil {
		return tc.Config{}, 0, err
	}
	if err := s.checkTemplate(toml); err != nil {
		return tc.Config{}, 0, err
	}
	cur, err := resolveConfig(ctx, s.st, ref)
	if err != nil {
		return tc.Config{}, 0, err
	}
	next := *cur
	next.TOML = toml
	if err := s.precheck(ctx, &next); err != nil {
		return tc.Config{}, 0, err
	}
	var n int
	err = s.write(ctx, func(tx *store.Store) error {
		row, err := resolveConfig(ctx, tx, ref)
		if err != nil {
			return err
		}
		if note == "" {
			note = "Staged for a rollout"
		}
		n, err = newVersion(ctx, tx, row, toml, note, who)
		return err
	})
	if err != nil {
		return tc.Config{}, 0, err
	}
	c, err := s.GetConfig(ctx, cur.ID)
	return c, n, err
}

// ConfigRow returns the stored row of a config by ID or alias.
func (s *Service) ConfigRow(ctx context.Context, ref string) (*store.ConfigRow, error) {
	return resolveConfig(ctx, s.st, ref)
}

// UnixNow is the service clock in unix seconds (Last-Modified values).
func (s *Service) UnixNow() int64 { return s.unixNow() }

// Now returns the service clock.
func (s *Service) Now() time.Time { return s.now() }
