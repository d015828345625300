package configs

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Checks are the rules every write is held to: whatever a config or group
// serves after the write must be something Telegraf loads.
type Checks struct {
	// MaxTOMLBytes bounds a template (default tc.DefaultMaxTOMLBytes).
	MaxTOMLBytes int
	// MaxRenderBytes bounds what a config or group renders to, at write
	// time and on every fetch (default tc.DefaultMaxRenderBytes).
	MaxRenderBytes int
	// MaxDepth bounds the nesting of arrays and inline tables (default
	// tc.DefaultMaxDepth).
	MaxDepth int
	// NonStrict judges configs that do not declare their environment
	// handling by Telegraf's non-strict rules (--non-strict-env-handling).
	NonStrict bool
	// AgentEnv is the agents' environment, if declared; nil: unknown.
	AgentEnv render.Env
	// LintErrors refuses writes that lint warns about.
	LintErrors bool
	// Lint says where this tcd takes heartbeats, at the time of a check.
	Lint func() render.LintOptions
}

func (c *Checks) defaults() {
	if c.MaxTOMLBytes <= 0 {
		c.MaxTOMLBytes = tc.DefaultMaxTOMLBytes
	}
	if c.MaxRenderBytes <= 0 {
		c.MaxRenderBytes = tc.DefaultMaxRenderBytes
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = tc.DefaultMaxDepth
	}
	if c.Lint == nil {
		c.Lint = func() render.LintOptions { return render.LintOptions{} }
	}
}

// Limits returns the checks in force (for the API's body limit and docs).
func (s *Service) Limits() Checks { return s.checks }

func (s *Service) renderCheck(nonStrict bool) render.Check {
	return render.Check{NonStrict: nonStrict, Env: s.checks.AgentEnv, MaxDepth: s.checks.MaxDepth}
}

func (s *Service) nonStrict(envHandling string) bool {
	switch envHandling {
	case tc.EnvNonStrict:
		return true
	case tc.EnvStrict:
		return false
	}
	return s.checks.NonStrict
}

// verdict is what a check found about one config or group.
type verdict struct {
	problem  *tc.ConfigProblem // why it would not load; nil if it loads
	warnings []tc.ConfigProblem
	// secrets is what the document asks of tcd's secret sets; its warnings
	// depend on the sets at the time of the check, so they are added
	// then (secretWarnings), never memoized.
	secrets render.SecretUse
}

// checkConfig renders a config with its parameter defaults (neutral values
// for required parameters) and the constants, and validates the result.
func (s *Service) checkConfig(row *store.ConfigRow, consts map[string]string) (verdict, *render.Result) {
	p := func(line, col int, msg string) verdict {
		return verdict{problem: &tc.ConfigProblem{Kind: "config", ID: row.ID, Name: row.Name, Line: line, Column: col, Message: msg}}
	}
	out, err := render.RenderWith(row.TOML, consts, nil, render.Options{Fill: true, MaxBytes: s.checks.MaxRenderBytes})
	if err != nil {
		line, col, msg := renderProblem(row.TOML, err)
		return p(line, col, msg), nil
	}
	nonStrict := s.nonStrict(row.EnvHandling)
	key := memoKey{sum: sha256.Sum256([]byte(out)), nonStrict: nonStrict}
	if m, ok := s.memo.get(key); ok {
		return m.verdict(row), nil
	}
	var m memoVerdict
	res, err := render.Validate(out, s.renderCheck(nonStrict))
	var se *render.SyntaxError
	switch {
	case errors.As(err, &se):
		m.bad, m.line, m.col, m.msg = true, se.Line, se.Column, se.Msg
	case err != nil:
		m.bad, m.msg = true, err.Error()
	default:
		m.warnings = res.Lint(s.checks.Lint())
		m.secrets = res.SecretUse()
	}
	s.memo.put(key, m)
	return m.verdict(row), res
}

// memoKey identifies a rendered document and the rules it was judged by.
type memoKey struct {
	sum       [32]byte
	nonStrict bool
}

// memoVerdict is what Validate and Lint said about a document.
type memoVerdict struct {
	bad       bool
	line, col int
	msg       string
	warnings  []render.Warning
	secrets   render.SecretUse
}

func (m memoVerdict) verdict(row *store.ConfigRow) verdict {
	if m.bad {
		return verdict{problem: &tc.ConfigProblem{Kind: "config", ID: row.ID, Name: row.Name, Line: m.line, Column: m.col, Message: m.msg}}
	}
	v := verdict{secrets: m.secrets}
	for _, w := range m.warnings {
		v.warnings = append(v.warnings, tc.ConfigProblem{Kind: "config", ID: row.ID, Name: row.Name, Line: w.Line, Column: w.Column, Code: w.Code, Message: w.Msg})
	}
	return v
}

// secretWarnings are the lint warnings of a config's secret references
// against the secret sets of now (names only: no value is read).
func secretWarnings(ctx context.Context, tx secretNamer, row *store.ConfigRow, use render.SecretUse, names *map[string]map[string]bool) ([]tc.ConfigProblem, error) {
	if len(use.Refs) == 0 {
		return nil, nil
	}
	if *names == nil {
		n, err := tx.secretNames(ctx)
		if err != nil {
			return nil, err
		}
		*names = n
	}
	var out []tc.ConfigProblem
	for _, w := range use.Lint(*names) {
		out = append(out, tc.ConfigProblem{Kind: "config", ID: row.ID, Name: row.Name, Line: w.Line, Column: w.Column, Code: w.Code, Message: w.Msg})
	}
	return out, nil
}

// verdictMemo remembers the verdicts of recently checked documents, so a
// config checked before its write's transaction is not parsed again
// inside it (Telegraf's parser is slow on large documents, and the
// transaction holds SQLite's write lock).
type verdictMemo struct {
	mu    sync.Mutex
	m     map[memoKey]memoVerdict
	order []memoKey
}

const memoEntries = 64

func (v *verdictMemo) get(k memoKey) (memoVerdict, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	m, ok := v.m[k]
	return m, ok
}

func (v *verdictMemo) put(k memoKey, m memoVerdict) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = map[memoKey]memoVerdict{}
	}
	if _, ok := v.m[k]; ok {
		return
	}
	if len(v.order) >= memoEntries {
		delete(v.m, v.order[0])
		v.order = v.order[1:]
	}
	v.m[k] = m
	v.order = append(v.order, k)
}

// precheck judges a config's template with the constants of now, before
// its write's transaction: a template Telegraf would not load is refused
// without taking the write lock, and one that loads is not parsed again
// inside the transaction (unless a constant changed meanwhile).
func (s *Service) precheck(ctx context.Context, row *store.ConfigRow) error {
	select {
	case s.checkSlots <- struct{}{}:
		defer func() { <-s.checkSlots }()
	case <-ctx.Done():
		return ctx.Err()
	}
	consts, err := s.constantsOf(ctx, s.st)
	if err != nil {
		return err
	}
	if v, _ := s.checkConfig(row, consts); v.problem != nil {
		return refusal([]tc.ConfigProblem{*v.problem}, row.ID)
	}
	return nil
}

// renderProblem places a render error in the template.
func renderProblem(tmpl string, err error) (line, col int, msg string) {
	var (
		ue *render.UndefinedConstantsError
		ve *render.ValueError
		te *render.TooLargeError
	)
	switch {
	case errors.As(err, &ue):
		line, col = render.FirstConstantUse(tmpl, ue.Names[0])
		return line, col, fmt.Sprintf("undefined constants %s: define them with tcctl constant set NAME VALUE, or remove the references", strings.Join(ue.Names, ", "))
	case errors.As(err, &ve):
		return ve.Line, ve.Column, fmt.Sprintf("the value of %s %q cannot stand in %s: %s", ve.Kind, ve.Name, ve.Context, ve.Reason)
	case errors.As(err, &te):
		return 0, 0, fmt.Sprintf("it renders to more than %d bytes, the rendered-size limit (--config-max-render-size)", te.Limit)
	}
	return 0, 0, err.Error()
}

// checkGroup renders a group as agents get it (members with their
// parameter defaults) and validates the document: members must each load,
// no two may define a table Telegraf takes once ([agent], [global_tags]),
// and the whole must load.
//
// names, when not nil, are the secret sets' names of now: a reference in
// one member to a store another member declares is linted here (a member
// that declares its own store is linted by its own check).
func (s *Service) checkGroup(g *store.GroupRow, members []*store.ConfigRow, consts map[string]string, names map[string]map[string]bool) verdict {
	p := func(member string, line, col int, msg string) verdict {
		return verdict{problem: &tc.ConfigProblem{Kind: "group", ID: g.ID, Name: g.Name, Member: member, Line: line, Column: col, Message: msg}}
	}
	var (
		sections  []render.Section
		nonStrict = s.checks.NonStrict
		owner     = map[string]string{}
		total     int
	)
	for _, m := range members {
		if s.nonStrict(m.EnvHandling) {
			nonStrict = true
		}
	}
	for _, m := range members {
		budget := s.checks.MaxRenderBytes - total
		if budget <= 0 {
			budget = 1
		}
		out, err := render.RenderWith(m.TOML, consts, nil, render.Options{Fill: true, MaxBytes: budget})
		var te *render.TooLargeError
		if errors.As(err, &te) {
			return p("", 0, 0, fmt.Sprintf("the group renders to more than %d bytes, the rendered-size limit (--config-max-render-size)", s.checks.MaxRenderBytes))
		}
		if err != nil {
			line, col, msg := renderProblem(m.TOML, err)
			return p(m.Name, line, col, msg)
		}
		total += len(out)
		res, err := render.Validate(out, s.renderCheck(nonStrict))
		var se *render.SyntaxError
		if errors.As(err, &se) {
			return p(m.Name, se.Line, se.Column, se.Msg)
		}
		if err != nil {
			return p(m.Name, 0, 0, err.Error())
		}
		for _, single := range []string{"agent", "global_tags"} {
			if _, ok := res.Table.Fields[single]; !ok {
				continue
			}
			if first, dup := owner[single]; dup {
				return p(m.Name, 0, 0, fmt.Sprintf("members %q and %q both define [%s]: Telegraf takes it once per document (table `%s' is in conflict); keep it in one member", first, m.Name, single, single))
			}
			owner[single] = m.Name
		}
		sections = append(sections, render.Section{Name: m.Name, ID: m.ID, TOML: out})
	}
	doc, starts := render.GroupLines(g.Name, sections)
	if len(doc) > s.checks.MaxRenderBytes {
		return p("", 0, 0, fmt.Sprintf("the group renders to more than %d bytes, the rendered-size limit (--config-max-render-size)", s.checks.MaxRenderBytes))
	}
	res, err := render.Validate(doc, s.renderCheck(nonStrict))
	var se *render.SyntaxError
	if errors.As(err, &se) {
		member, line := "", se.Line
		for i := len(starts) - 1; i >= 0; i-- {
			if se.Line >= starts[i] {
				member, line = members[i].Name, se.Line-starts[i]+1
				break
			}
		}
		return p(member, line, se.Column, fmt.Sprintf("%s (line %d of the group document)", se.Msg, se.Line))
	}
	if err != nil {
		return p("", 0, 0, err.Error())
	}
	v := verdict{}
	for _, w := range res.Lint(s.checks.Lint()) {
		if w.Code == render.WarnUnknownPlugin || w.Code == render.WarnCrash || w.Code == render.WarnIntRange || w.Code == render.WarnOption {
			continue // the member's own check reports these
		}
		member, line := "", w.Line
		for i := len(starts) - 1; i >= 0; i-- {
			if w.Line >= starts[i] {
				member, line = members[i].Name, w.Line-starts[i]+1
				break
			}
		}
		v.warnings = append(v.warnings, tc.ConfigProblem{Kind: "group", ID: g.ID, Name: g.Name, Member: member, Line: line, Column: w.Column, Code: w.Code, Message: w.Msg})
	}
	if names != nil {
		memberAt := func(docLine int) (int, int) {
			for i := len(starts) - 1; i >= 0; i-- {
				if docLine >= starts[i] {
					return i, docLine - starts[i] + 1
				}
			}
			return -1, docLine
		}
		use := res.SecretUse()
		for _, miss := range use.Missing(names) {
			w := miss.Warning()
			ref, line := memberAt(w.Line)
			if decl, _ := memberAt(use.StoreLines[miss.Store]); decl == ref {
				continue // the member's own check reports it
			}
			member := ""
			if ref >= 0 {
				member = members[ref].Name
			}
			v.warnings = append(v.warnings, tc.ConfigProblem{Kind: "group", ID: g.ID, Name: g.Name, Member: member, Line: line, Column: w.Column, Code: w.Code, Message: w.Msg})
		}
	}
	return v
}

// affected names what a write changes: configs and groups whose served
// document may differ afterwards.
type affected struct {
	configs []string
	groups  []string
	// self is the config the write is about; its own problems are the
	// caller's input errors (400), everything else is a conflict (409).
	self string
}

// checkServing checks, inside the write's transaction (so it sees the
// change), every config and group the write affects, and refuses the
// write if any would no longer load. It returns the warnings of all.
func (s *Service) checkServing(ctx context.Context, tx *store.Store, a affected) ([]tc.ConfigProblem, error) {
	s.txChecks.Add(1)
	return s.checkServingFrom(ctx, storeSource{s: s, st: tx}, a)
}

// TxChecks counts the serving checks that ran inside a write's transaction
// (the writes that check ahead run none unless the state changed between
// their check and their transaction). For tests and metrics.
func (s *Service) TxChecks() int64 { return s.txChecks.Load() }

// checkServingFrom is checkServing on any view of the state: the write's
// transaction, or the would-be state in memory (checkAhead).
func (s *Service) checkServingFrom(ctx context.Context, tx servingSource, a affected) ([]tc.ConfigProblem, error) {
	// Telegraf's parser is slow and hungry on large documents (a dense
	// 4 MiB template: seconds and a few hundred MiB): checks run at most
	// one per core at a time.
	select {
	case s.checkSlots <- struct{}{}:
		defer func() { <-s.checkSlots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	consts, err := tx.constants(ctx)
	if err != nil {
		return nil, err
	}
	groups := append([]string(nil), a.groups...)
	if len(a.configs) > 0 {
		more, err := tx.groupsContaining(ctx, a.configs)
		if err != nil {
			return nil, err
		}
		groups = append(groups, more...)
	}
	groups = dedupe(groups)
	var (
		problems []tc.ConfigProblem
		warnings []tc.ConfigProblem
		selfBad  bool
	)
	rows, err := tx.configsByIDs(ctx, dedupe(a.configs))
	if err != nil {
		return nil, err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	bad := map[string]bool{}
	var secretNames map[string]map[string]bool
	for i := range rows {
		v, _ := s.checkConfig(&rows[i], consts)
		if v.problem != nil {
			problems = append(problems, *v.problem)
			bad[rows[i].ID] = true
			selfBad = selfBad || rows[i].ID == a.self
		}
		warnings = append(warnings, v.warnings...)
		sw, err := secretWarnings(ctx, tx, &rows[i], v.secrets, &secretNames)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, sw...)
	}
	if !selfBad && len(groups) > 0 {
		members, err := tx.groupMembers(ctx, groups)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, m := range members {
			ids = append(ids, m...)
		}
		mrows, err := tx.configsByIDs(ctx, dedupe(ids))
		if err != nil {
			return nil, err
		}
		byID := map[string]*store.ConfigRow{}
		for i := range mrows {
			byID[mrows[i].ID] = &mrows[i]
		}
		for _, gid := range groups {
			g, err := tx.groupByID(ctx, gid)
			if err != nil {
				return nil, err
			}
			var ms []*store.ConfigRow
			skip := false
			for _, id := range members[gid] {
				if r := byID[id]; r != nil {
					ms = append(ms, r)
					skip = skip || bad[id] // its member's problem is listed already
				}
			}
			if skip {
				continue
			}
			if secretNames == nil {
				if secretNames, err = tx.secretNames(ctx); err != nil {
					return nil, err
				}
			}
			v := s.checkGroup(g, ms, consts, secretNames)
			if v.problem != nil {
				problems = append(problems, *v.problem)
			}
			warnings = append(warnings, v.warnings...)
		}
	}
	if len(problems) > 0 {
		return nil, refusal(problems, a.self)
	}
	if s.checks.LintErrors && len(warnings) > 0 {
		e := tc.Errorf(tc.EConflict, "refused: %s (tcd runs with --config-lint-errors, which turns warnings into errors)", describe(warnings[0])).With("affected", warnings)
		if len(warnings) == 1 && warnings[0].Kind == "config" && warnings[0].ID == a.self {
			e.Code = tc.EInvalid
			e = e.With("line", warnings[0].Line).With("column", warnings[0].Column).With("field", "toml")
		}
		return nil, e
	}
	return warnings, nil
}

// secretNamer reads the names of the secret sets' secrets (never values).
type secretNamer interface {
	secretNames(ctx context.Context) (map[string]map[string]bool, error)
}

// servingSource is what checkServing reads.
type servingSource interface {
	secretNamer
	constants(ctx context.Context) (map[string]string, error)
	groupsContaining(ctx context.Context, configIDs []string) ([]string, error)
	configsByIDs(ctx context.Context, ids []string) ([]store.ConfigRow, error)
	groupMembers(ctx context.Context, groupIDs []string) (map[string][]string, error)
	groupByID(ctx context.Context, id string) (*store.GroupRow, error)
}

// storeSource reads a store (a transaction).
type storeSource struct {
	s  *Service
	st *store.Store
}

func (x storeSource) constants(ctx context.Context) (map[string]string, error) {
	return x.s.constantsOf(ctx, x.st)
}
func (x storeSource) groupsContaining(ctx context.Context, ids []string) ([]string, error) {
	return x.st.GroupsContaining(ctx, ids)
}
func (x storeSource) configsByIDs(ctx context.Context, ids []string) ([]store.ConfigRow, error) {
	return x.st.ConfigsByIDs(ctx, ids)
}
func (x storeSource) groupMembers(ctx context.Context, ids []string) (map[string][]string, error) {
	return x.st.GroupMembers(ctx, ids)
}
func (x storeSource) groupByID(ctx context.Context, id string) (*store.GroupRow, error) {
	return x.st.GroupByID(ctx, id)
}
func (x storeSource) secretNames(ctx context.Context) (map[string]map[string]bool, error) {
	return x.st.SecretNames(ctx)
}

// stateSource reads a state in memory (and the secret sets' names from
// the database: they are not part of the configuration state).
type stateSource struct {
	st *state
	db *store.Store
}

func (x stateSource) secretNames(ctx context.Context) (map[string]map[string]bool, error) {
	return x.db.SecretNames(ctx)
}

func (x stateSource) constants(context.Context) (map[string]string, error) {
	return x.st.constants, nil
}
func (x stateSource) groupsContaining(_ context.Context, ids []string) ([]string, error) {
	var out []string
	for _, gid := range sortedKeysOf(x.st.members) {
		for _, id := range ids {
			if contains(x.st.members[gid], id) {
				out = append(out, gid)
				break
			}
		}
	}
	return out, nil
}
func (x stateSource) configsByIDs(_ context.Context, ids []string) ([]store.ConfigRow, error) {
	var out []store.ConfigRow
	for _, id := range ids {
		if c := x.st.configs[id]; c != nil {
			out = append(out, *c)
		}
	}
	return out, nil
}
func (x stateSource) groupMembers(_ context.Context, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, id := range ids {
		if ms, ok := x.st.members[id]; ok {
			out[id] = ms
		}
	}
	return out, nil
}
func (x stateSource) groupByID(_ context.Context, id string) (*store.GroupRow, error) {
	if g := x.st.groups[id]; g != nil {
		return g, nil
	}
	return nil, notFound("config group not found")
}

// checkAhead runs a write's serving checks before its transaction, on the
// would-be state: change applies the write to a copy of the current state
// and names what it affects. The write's transaction then calls
// ahead.inTx, which re-checks only if the state changed in between — so
// in the usual case Telegraf's parser never runs while the write lock is
// held (on SQLite that lock also stalls heartbeats).
func (s *Service) checkAhead(ctx context.Context, change func(next *state) (affected, error)) (*ahead, error) {
	cur, err := loadState(ctx, s.st, true)
	if err != nil {
		return nil, err
	}
	if s.aheadHook != nil {
		s.aheadHook()
	}
	next := cur.clone()
	a, err := change(next)
	if err != nil {
		return nil, err
	}
	w, err := s.checkServingFrom(ctx, stateSource{st: next, db: s.st}, a)
	if err != nil {
		return nil, err
	}
	return &ahead{fp: cur.fingerprint(), warnings: w}, nil
}

// ahead is the outcome of checkAhead.
type ahead struct {
	fp       string
	warnings []tc.ConfigProblem
}

// still reports, inside the write's transaction and before it changes
// anything, whether the state is the one the checks ahead saw (it also
// keeps other configuration writers out until the transaction ends, on
// PostgreSQL). When it is not, the caller runs checkServing there.
func (ah *ahead) still(ctx context.Context, tx *store.Store) (bool, error) {
	if ah == nil {
		return false, nil
	}
	if err := tx.LockConfigTables(ctx); err != nil {
		return false, err
	}
	now, err := loadState(ctx, tx, false)
	if err != nil {
		return false, err
	}
	return now.fingerprint() == ah.fp, nil
}

// refusal is the error of a write that would leave something unloadable:
// 400 when only the written config itself is at fault (with its line and
// column), 409 when it breaks other configs or groups.
func refusal(problems []tc.ConfigProblem, self string) error {
	first := problems[0]
	if len(problems) == 1 && first.Kind == "config" && first.ID == self {
		return tc.Errorf(tc.EInvalid, "%s", describe(first)).With("field", "toml").
			With("line", first.Line).With("column", first.Column).With("affected", problems)
	}
	msg := fmt.Sprintf("refused: after this change %d config(s) or group(s) would not load in Telegraf: %s", len(problems), describe(first))
	if len(problems) > 1 {
		msg += fmt.Sprintf(" (and %d more, listed in affected)", len(problems)-1)
	}
	return tc.Errorf(tc.EConflict, "%s", msg).With("affected", problems)
}

// describe is one line about a problem: what, where, why.
func describe(p tc.ConfigProblem) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q", p.Kind, p.Name)
	if p.Member != "" {
		fmt.Fprintf(&b, " (member %q)", p.Member)
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, " line %d, column %d", p.Line, p.Column)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (s *Service) constantsOf(ctx context.Context, st *store.Store) (map[string]string, error) {
	rows, err := st.ListConstants(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rows))
	for _, c := range rows {
		m[c.Name] = c.Value
	}
	return m, nil
}

// checkTemplate refuses a template before any database work: empty, too
// large, not UTF-8, nested too deeply.
func (s *Service) checkTemplate(tmpl string) error {
	if strings.TrimSpace(strings.TrimPrefix(tmpl, "\ufeff")) == "" {
		return tc.Errorf(tc.EInvalid, "toml is required").With("field", "toml")
	}
	if len(tmpl) > s.checks.MaxTOMLBytes {
		return tc.Errorf(tc.EInvalid, "toml is %d bytes; the limit is %d (--config-max-size)", len(tmpl), s.checks.MaxTOMLBytes).With("field", "toml")
	}
	var se *render.SyntaxError
	if err := render.CheckUTF8(tmpl); errors.As(err, &se) {
		return syntaxError(se)
	}
	if d, line, col := render.DepthAt(tmpl, s.checks.MaxDepth); d > s.checks.MaxDepth {
		return tc.Errorf(tc.EInvalid, "line %d, column %d: arrays and inline tables nest deeper than %d levels (--config-max-depth)", line, col, s.checks.MaxDepth).
			With("field", "toml").With("line", line).With("column", col)
	}
	return nil
}

func syntaxError(se *render.SyntaxError) error {
	return tc.Errorf(tc.EInvalid, "%s", se.Error()).With("field", "toml").With("line", se.Line).With("column", se.Column)
}

// renderQuery is the serving render: real query values, the size cap.
func (s *Service) renderQuery(tmpl string, consts map[string]string, query url.Values, budget int) (string, error) {
	return render.RenderWith(tmpl, consts, query, render.Options{MaxBytes: budget})
}
