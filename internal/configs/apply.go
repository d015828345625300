package configs

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Apply limits: a request names at most MaxApplyResources resources.
const MaxApplyResources = 10000

// applyRetries is how often an apply is planned again when the state
// changed between its validation and its transaction.
const applyRetries = 3

var errStale = errors.New("state changed since the apply was validated")

// ApplyOutcome is an apply's answer plus what the audit log records: one
// entry per changed resource.
type ApplyOutcome struct {
	Result tc.ApplyResult
}

// Apply makes tcd's configuration match req.Resources: it validates every
// resource and everything the change would make tcd serve (each affected
// config and group rendered and checked like a single write), outside any
// transaction; then, unless DryRun, it writes all of it in one
// transaction, after checking that nothing changed since the validation
// (otherwise it plans again, up to three times, then answers conflict).
// Errors: invalid (with "problems" placing each in the files), conflict.
func (s *Service) Apply(ctx context.Context, who, applyID string, req tc.ApplyRequest) (tc.ApplyResult, error) {
	if len(req.Resources) > MaxApplyResources {
		return tc.ApplyResult{}, tc.Errorf(tc.EInvalid, "an apply takes at most %d resources (got %d): split the files", MaxApplyResources, len(req.Resources))
	}
	if _, err := tc.CheckText("note", req.Note, tc.MaxNoteLen); err != nil {
		return tc.ApplyResult{}, err
	}
	d, err := s.parseDesired(req)
	if err != nil {
		return tc.ApplyResult{}, err
	}
	for attempt := 0; attempt < applyRetries; attempt++ {
		started := time.Now()
		cur, err := loadState(ctx, s.st, true)
		if err != nil {
			return tc.ApplyResult{}, err
		}
		p, err := s.plan(ctx, cur, d, req)
		if err != nil {
			return tc.ApplyResult{}, err
		}
		res := tc.ApplyResult{ID: applyID, DryRun: req.DryRun, Changes: p.changes, Warnings: p.warnings}
		// Checked again in the transaction; here a dry run learns of it.
		if err := refuseRolloutsTogether(ctx, s.st, p, d); err != nil {
			return tc.ApplyResult{}, err
		}
		if req.DryRun || !p.changed() {
			return res, nil
		}
		fp := cur.fingerprint()
		validated := time.Now()
		regroups := len(p.regrouped()) > 0
		err = s.write(ctx, func(tx *store.Store) error {
			if regroups {
				// First, before the table locks: see store.LockRolloutGroups.
				if err := tx.LockRolloutGroups(ctx); err != nil {
					return err
				}
			}
			if err := tx.LockConfigTables(ctx); err != nil {
				return err
			}
			now, err := loadState(ctx, tx, false)
			if err != nil {
				return err
			}
			if now.fingerprint() != fp {
				return errStale
			}
			if err := refuseRolloutsTogether(ctx, tx, p, d); err != nil {
				return err
			}
			return s.execute(ctx, tx, p, who, applyID, req.Note)
		})
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return tc.ApplyResult{}, err
		}
		s.reloadRollouts(ctx) // deleted configs' rollouts were aborted
		s.log.Info("apply", "id", applyID, "by", who, "resources", len(req.Resources), "changed", countChanged(p.changes),
			"validate", validated.Sub(started).Round(time.Millisecond), "transaction", time.Since(validated).Round(time.Millisecond), "attempt", attempt+1)
		return res, nil
	}
	return tc.ApplyResult{}, tc.Errorf(tc.EConflict, "tcd's configuration kept changing while the apply was validated (%d attempts): nothing was applied; run the apply again", applyRetries)
}

// regrouped returns the groups of at least two members that the apply
// creates or gives other members (in order).
func (p *applyPlan) regrouped() []string {
	var out []string
	for _, id := range sortedKeysOf(p.next.groups) {
		ms := p.next.members[id]
		if len(ms) > 1 && (p.cur.groups[id] == nil || !equal(p.cur.members[id], ms)) {
			out = append(out, id)
		}
	}
	return out
}

// refuseRolloutsTogether refuses an apply that would have a config group
// hold two configs being rolled out, as a group create or edit is refused
// (see refuseTwoRollouts): conflict, placed at each such group's
// resource, and nothing is applied. In the apply's transaction the caller
// holds store.LockRolloutGroups, so no rollout starts meanwhile.
func refuseRolloutsTogether(ctx context.Context, st *store.Store, p *applyPlan, d *desired) error {
	var ps []tc.ApplyProblem
	for _, id := range p.regrouped() {
		busy, err := twoRollouts(ctx, st, p.next.members[id])
		if err != nil {
			return err
		}
		if busy == nil {
			continue
		}
		name := p.next.groups[id].Name
		r := d.get(tc.KindConfigGroup, name)
		if r == nil {
			r = &tc.Resource{Kind: tc.KindConfigGroup, Metadata: tc.ResourceMetadata{Name: name}}
		}
		a, b := busy[0], busy[1]
		ps = append(ps, problem(r, 0, 0, "members %q (rollout %s, %s) and %q (rollout %s, %s) are both being rolled out: one rollout per group at a time; "+
			"apply this group when one of them completes or is aborted (tcctl rollout status %s; tcctl rollout abort %s), or leave one of them out of it",
			a.ConfigName, a.ID, a.State, b.ConfigName, b.ID, b.State, b.ConfigName, b.ConfigName))
	}
	if len(ps) == 0 {
		return nil
	}
	return refuseApply(tc.EConflict, ps)
}

// desired is the request's resources by kind and name.
type desired struct {
	byKind map[string]map[string]*tc.Resource
	kinds  map[string]bool
}

func (d *desired) get(kind, name string) *tc.Resource { return d.byKind[kind][name] }

// problem places a finding about a resource in the files.
func problem(r *tc.Resource, line, col int, format string, args ...any) tc.ApplyProblem {
	p := tc.ApplyProblem{Kind: r.Kind, Name: r.Metadata.Name, Message: fmt.Sprintf(format, args...)}
	if r.Source != nil {
		p.File, p.Line = r.Source.File, r.Source.Line
	}
	if line > 0 {
		if r.Source != nil && r.Source.TOMLFile != "" {
			p.File, p.Line, p.Column = r.Source.TOMLFile, line, col
		} else {
			// Inline TOML: the line is the template's, not the file's.
			p.Message = fmt.Sprintf("spec.toml line %d, column %d: %s", line, col, p.Message)
		}
	}
	return p
}

// refuseApply is the error of an apply with problems: invalid, the first
// problem as the message (FILE:LINE:COLUMN: …), all of them in "problems".
func refuseApply(code string, ps []tc.ApplyProblem) error {
	first := ps[0]
	msg := describeApply(first)
	if len(ps) > 1 {
		msg += fmt.Sprintf(" (and %d more problems, listed in problems)", len(ps)-1)
	}
	return tc.Errorf(code, "%s: nothing was applied", msg).With("problems", ps)
}

func describeApply(p tc.ApplyProblem) string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
			if p.Column > 0 {
				fmt.Fprintf(&b, ":%d", p.Column)
			}
		}
		b.WriteString(": ")
	}
	if p.Kind != "" {
		fmt.Fprintf(&b, "%s %q: ", p.Kind, p.Name)
	}
	b.WriteString(p.Message)
	return b.String()
}

// parseDesired checks each resource on its own (fields, names, limits,
// the template's shape) and indexes them. Errors: invalid with problems.
func (s *Service) parseDesired(req tc.ApplyRequest) (*desired, error) {
	d := &desired{byKind: map[string]map[string]*tc.Resource{}, kinds: map[string]bool{}}
	for _, k := range append([]string{tc.KindSecretSet}, tc.ResourceKinds...) {
		d.byKind[k] = map[string]*tc.Resource{}
	}
	var ps []tc.ApplyProblem
	ids := map[string]*tc.Resource{}
	for i := range req.Resources {
		r := &req.Resources[i]
		if err := s.checkResource(r); err != nil {
			var te *tc.Error
			line, col := 0, 0
			if errors.As(err, &te) {
				if l, ok := te.Details["line"].(int); ok {
					line = l
				}
				if c, ok := te.Details["column"].(int); ok {
					col = c
				}
			}
			ps = append(ps, problem(r, line, col, "%s", tc.ErrorMessage(err)))
			continue
		}
		if prev := d.byKind[r.Kind][r.Metadata.Name]; prev != nil {
			ps = append(ps, problem(r, 0, 0, "%s %q is also defined at %s", r.Kind, r.Metadata.Name, where(prev)))
			continue
		}
		if r.Metadata.ID != "" {
			key := r.Kind + "\x00" + r.Metadata.ID
			if prev := ids[key]; prev != nil {
				ps = append(ps, problem(r, 0, 0, "ID %q is also used by %s %q at %s", r.Metadata.ID, prev.Kind, prev.Metadata.Name, where(prev)))
				continue
			}
			ids[key] = r
		}
		d.byKind[r.Kind][r.Metadata.Name] = r
		d.kinds[r.Kind] = true
	}
	for _, k := range req.PruneKinds {
		if !knownKind(k) {
			return nil, tc.Errorf(tc.EInvalid, "unknown kind %q in pruneKinds: use %v", k, tc.ResourceKinds).With("field", "pruneKinds")
		}
	}
	if len(ps) > 0 {
		return nil, refuseApply(tc.EInvalid, ps)
	}
	return d, nil
}

func where(r *tc.Resource) string {
	if r.Source == nil || r.Source.File == "" {
		return "another document of the request"
	}
	return fmt.Sprintf("%s:%d", r.Source.File, r.Source.Line)
}

// checkResource validates one resource without looking at tcd's state.
func (s *Service) checkResource(r *tc.Resource) error {
	if r.APIVersion != tc.ResourceAPIVersion {
		return tc.Errorf(tc.EInvalid, "apiVersion must be %s (got %q)", tc.ResourceAPIVersion, r.APIVersion)
	}
	if r.Kind == tc.KindSecretSet {
		if err := tc.CheckSecretSet(r.Metadata.Name); err != nil {
			return err
		}
		if r.Metadata.ID != "" || r.Metadata.Description != "" || len(r.Metadata.Labels) > 0 {
			return tc.Errorf(tc.EInvalid, "a SecretSet has only metadata.name and spec.secrets")
		}
		sp := r.Spec
		sp.Secrets = nil
		if !reflect.ValueOf(sp).IsZero() {
			return tc.Errorf(tc.EInvalid, "a SecretSet has only spec.secrets, the names of its secrets: secret values never go in files (set them with tcctl secret set)")
		}
		for _, n := range r.Spec.Secrets {
			if err := tc.CheckSecretName(n); err != nil {
				return err
			}
		}
		return nil
	}
	if !knownKind(r.Kind) {
		return tc.Errorf(tc.EInvalid, "unknown kind %q: use one of %s, %s", r.Kind, strings.Join(tc.ResourceKinds, ", "), tc.KindSecretSet)
	}
	allowed := map[string][]string{
		tc.KindConfig:        {"TOML", "EnvHandling"},
		tc.KindConfigGroup:   {"Members"},
		tc.KindConstant:      {"Value"},
		tc.KindLabel:         {"Color"},
		tc.KindReportingRule: {"NotReportingAfter", "AutoDeleteAfter", "Default"},
		tc.KindAlias:         {"Config", "Group"},
	}[r.Kind]
	sv := reflect.ValueOf(r.Spec)
	for i := 0; i < sv.NumField(); i++ {
		name := sv.Type().Field(i).Name
		if sv.Field(i).IsZero() || contains(allowed, name) {
			continue
		}
		if name == "TOMLFile" {
			return tc.Errorf(tc.EInvalid, "spec.tomlFile is read by tcctl, which sends the file's content as spec.toml: send spec.toml")
		}
		tag := strings.Split(sv.Type().Field(i).Tag.Get("json"), ",")[0]
		return tc.Errorf(tc.EInvalid, "spec.%s is not a field of a %s (its fields: %s)", tag, r.Kind, jsonNames(allowed))
	}
	m := r.Metadata
	withLabels := r.Kind == tc.KindConfig || r.Kind == tc.KindConfigGroup
	if !withLabels && len(m.Labels) > 0 {
		return tc.Errorf(tc.EInvalid, "a %s carries no labels (metadata.labels)", r.Kind)
	}
	if !withLabels && m.ID != "" {
		return tc.Errorf(tc.EInvalid, "a %s has no ID (metadata.id): it is known by its name", r.Kind)
	}
	if (r.Kind == tc.KindConstant || r.Kind == tc.KindAlias) && m.Description != "" {
		return tc.Errorf(tc.EInvalid, "a %s has no description", r.Kind)
	}
	if _, err := tc.CheckText("description", m.Description, tc.MaxDescriptionLen); err != nil {
		return err
	}
	if m.ID != "" {
		if err := tc.CheckConfigID(m.ID); err != nil {
			return err
		}
	}
	for _, l := range m.Labels {
		if _, err := tc.CheckName("labels", l); err != nil {
			return err
		}
	}
	switch r.Kind {
	case tc.KindConstant:
		if err := tc.CheckConstantName(m.Name); err != nil {
			return err
		}
		if r.Spec.Value == nil {
			return tc.Errorf(tc.EInvalid, "spec.value is required")
		}
		return tc.CheckConstantValue(*r.Spec.Value)
	case tc.KindAlias:
		if err := tc.CheckAlias(m.Name); err != nil {
			return err
		}
		if (r.Spec.Config == "") == (r.Spec.Group == "") {
			return tc.Errorf(tc.EInvalid, "give exactly one of spec.config and spec.group (the name of the config or config group the alias serves)")
		}
		return nil
	}
	name, err := tc.CheckName("name", m.Name)
	if err != nil {
		return err
	}
	if name != m.Name {
		return tc.Errorf(tc.EInvalid, "metadata.name %q has leading or trailing spaces", m.Name)
	}
	switch r.Kind {
	case tc.KindConfig:
		if err := tc.CheckEnvHandling(r.Spec.EnvHandling); err != nil {
			return err
		}
		return s.checkTemplate(r.Spec.TOML)
	case tc.KindLabel:
		if r.Spec.Color != "" {
			c, err := tc.CheckColor(r.Spec.Color)
			if err != nil {
				return err
			}
			r.Spec.Color = c
		}
	case tc.KindReportingRule:
		if r.Spec.NotReportingAfter < 1 || r.Spec.NotReportingAfter > tc.RuleSecondsMax {
			return tc.Errorf(tc.EInvalid, "spec.notReportingAfter must be a number of seconds from 1 to %d", tc.RuleSecondsMax)
		}
		if r.Spec.AutoDeleteAfter < 0 || r.Spec.AutoDeleteAfter > tc.RuleSecondsMax {
			return tc.Errorf(tc.EInvalid, "spec.autoDeleteAfter must be 0 (never) or a number of seconds up to %d", tc.RuleSecondsMax)
		}
		if _, err := tc.CheckText("description", m.Description, tc.RuleDescriptionMax); err != nil {
			return err
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func jsonNames(fields []string) string {
	t := reflect.TypeOf(tc.ResourceSpec{})
	var out []string
	for _, f := range fields {
		sf, _ := t.FieldByName(f)
		out = append(out, strings.Split(sf.Tag.Get("json"), ",")[0])
	}
	return strings.Join(out, ", ")
}

// applyPlan is what an apply changes: the state before and after, and what
// the executor needs beyond the difference of the two.
type applyPlan struct {
	cur, next *state
	changes   []tc.ApplyChange
	warnings  []tc.ConfigProblem
	// created are the IDs of configs and groups the apply creates (their
	// Last-Modified starts now, no bump).
	created map[string]bool
	// bumpConfigs, bumpGroups: what agents would fetch differently.
	bumpConfigs, bumpGroups map[string]bool
}

func countChanged(cs []tc.ApplyChange) int {
	n := 0
	for _, c := range cs {
		if c.Action != tc.ActionUnchanged {
			n++
		}
	}
	return n
}

func (p *applyPlan) changed() bool {
	for _, c := range p.changes {
		if c.Action != tc.ActionUnchanged {
			return true
		}
	}
	return false
}

// plan computes the state after the apply, validates it and lists the
// changes. Errors: invalid with problems, conflict (a change breaks
// something the files do not name).
func (s *Service) plan(ctx context.Context, cur *state, d *desired, req tc.ApplyRequest) (*applyPlan, error) {
	next := cur.clone()
	p := &applyPlan{cur: cur, next: next, created: map[string]bool{}, bumpConfigs: map[string]bool{}, bumpGroups: map[string]bool{}}
	var ps []tc.ApplyProblem
	pruneKind := func(kind string) bool {
		if !req.Prune {
			return false
		}
		if len(req.PruneKinds) > 0 {
			return contains(req.PruneKinds, kind)
		}
		return d.kinds[kind]
	}
	selected := func(labels []string) bool { return req.Selector == "" || contains(labels, req.Selector) }
	source := map[string]*tc.Resource{} // config ID → its resource

	// Labels.
	for name, r := range d.byKind[tc.KindLabel] {
		l := next.labels[name]
		if l == nil {
			l = &store.LabelRow{ID: store.NewID(), Name: name}
			next.labels[name] = l
		}
		l.Description, l.Color = r.Metadata.Description, r.Spec.Color
	}
	if pruneKind(tc.KindLabel) && req.Selector == "" {
		for name := range cur.labels {
			if d.get(tc.KindLabel, name) == nil {
				delete(next.labels, name)
			}
		}
	}
	labelsOK := func(r *tc.Resource) []string {
		out := append([]string(nil), r.Metadata.Labels...)
		sort.Strings(out)
		out = dedupe(out)
		for _, l := range out {
			if next.labels[l] == nil {
				ps = append(ps, problem(r, 0, 0, "label %q does not exist: add a Label resource named %q or create it (tcctl label create --name %s)", l, l, l))
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}

	// Constants.
	for name, r := range d.byKind[tc.KindConstant] {
		next.constants[name] = *r.Spec.Value
	}
	if pruneKind(tc.KindConstant) && req.Selector == "" {
		for name := range cur.constants {
			if d.get(tc.KindConstant, name) == nil {
				delete(next.constants, name)
			}
		}
	}

	// Configs: matched by ID when the file gives one, else by name.
	matched := map[string]bool{}
	for _, name := range sortedKeysOf(d.byKind[tc.KindConfig]) {
		r := d.byKind[tc.KindConfig][name]
		var c *store.ConfigRow
		if r.Metadata.ID != "" {
			c = next.configs[r.Metadata.ID]
			if other := cur.configByName(name); c == nil && other != nil {
				ps = append(ps, problem(r, 0, 0, "a config named %q exists with ID %s, not %s: remove metadata.id to update it, or delete it first", name, other.ID, r.Metadata.ID))
				continue
			}
		} else {
			c = next.configByName(name)
		}
		if c == nil {
			id := r.Metadata.ID
			if id == "" {
				id = store.NewID()
			}
			c = &store.ConfigRow{ID: id, Version: 1}
			next.configs[id] = c
			p.created[id] = true
		}
		matched[c.ID] = true
		source[c.ID] = r
		old := cur.configs[c.ID]
		c.Name, c.Description, c.TOML, c.EnvHandling = name, r.Metadata.Description, r.Spec.TOML, r.Spec.EnvHandling
		next.cfgLabels[c.ID] = labelsOK(r)
		if old != nil && (old.TOML != c.TOML || old.EnvHandling != c.EnvHandling) {
			p.bumpConfigs[c.ID] = true
		}
		if old != nil && old.Name != c.Name {
			for gid, ms := range cur.members {
				if contains(ms, c.ID) {
					p.bumpGroups[gid] = true // members are named in the group document
				}
			}
		}
	}
	if pruneKind(tc.KindConfig) {
		for id, c := range cur.configs {
			if !matched[id] && selected(cur.cfgLabels[id]) {
				delete(next.configs, id)
				delete(next.cfgLabels, id)
				for gid, ms := range next.members {
					if contains(ms, id) {
						next.members[gid] = without(ms, id)
						p.bumpGroups[gid] = true
					}
				}
				if n, err := s.usage.ActiveAgentsUsing(ctx, id); err != nil {
					return nil, err
				} else if n > 0 {
					ps = append(ps, tc.ApplyProblem{Kind: tc.KindConfig, Name: c.Name, Message: fmt.Sprintf("--prune would delete config %q, which %d reporting agent(s) use: add it to the files, or delete it with tcctl config delete --force", c.Name, n)})
				}
			}
		}
	}
	// Names must stay unique.
	seen := map[string]string{}
	for id, c := range next.configs {
		if other, dup := seen[c.Name]; dup {
			r := source[id]
			if r == nil {
				r = source[other]
			}
			if r != nil {
				ps = append(ps, problem(r, 0, 0, "another config is named %q: rename or delete it in the same apply", c.Name))
			}
		}
		seen[c.Name] = id
	}

	// Groups.
	matchedG := map[string]bool{}
	for _, name := range sortedKeysOf(d.byKind[tc.KindConfigGroup]) {
		r := d.byKind[tc.KindConfigGroup][name]
		var g *store.GroupRow
		if r.Metadata.ID != "" {
			g = next.groups[r.Metadata.ID]
			if other := cur.groupByName(name); g == nil && other != nil {
				ps = append(ps, problem(r, 0, 0, "a config group named %q exists with ID %s, not %s: remove metadata.id to update it, or delete it first", name, other.ID, r.Metadata.ID))
				continue
			}
		} else {
			g = next.groupByName(name)
		}
		if g == nil {
			id := r.Metadata.ID
			if id == "" {
				id = store.NewID()
			}
			g = &store.GroupRow{ID: id}
			next.groups[id] = g
			p.created[id] = true
		}
		matchedG[g.ID] = true
		g.Name, g.Description = name, r.Metadata.Description
		next.grpLabels[g.ID] = labelsOK(r)
		var ms []string
		for _, mname := range r.Spec.Members {
			c := next.configByName(mname)
			if c == nil {
				ps = append(ps, problem(r, 0, 0, "member %q is not a config (in tcd or the files)", mname))
				continue
			}
			if !contains(ms, c.ID) {
				ms = append(ms, c.ID)
			}
		}
		if old := cur.groups[g.ID]; old != nil && (old.Name != g.Name || !equal(cur.members[g.ID], ms)) {
			p.bumpGroups[g.ID] = true
		}
		if len(ms) > 0 {
			next.members[g.ID] = ms
		} else {
			delete(next.members, g.ID)
		}
	}
	if pruneKind(tc.KindConfigGroup) {
		for id := range cur.groups {
			if !matchedG[id] && selected(cur.grpLabels[id]) {
				delete(next.groups, id)
				delete(next.grpLabels, id)
				delete(next.members, id)
			}
		}
	}

	// Aliases.
	for name, r := range d.byKind[tc.KindAlias] {
		a := store.AliasRow{Alias: name}
		if r.Spec.Config != "" {
			c := next.configByName(r.Spec.Config)
			if c == nil {
				ps = append(ps, problem(r, 0, 0, "spec.config %q is not a config (in tcd or the files)", r.Spec.Config))
				continue
			}
			a.ConfigID = &c.ID
		} else {
			g := next.groupByName(r.Spec.Group)
			if g == nil {
				ps = append(ps, problem(r, 0, 0, "spec.group %q is not a config group (in tcd or the files)", r.Spec.Group))
				continue
			}
			a.GroupID = &g.ID
		}
		if next.configs[name] != nil || next.groups[name] != nil {
			ps = append(ps, problem(r, 0, 0, "%q is the ID of a config or config group; choose another alias", name))
			continue
		}
		old, had := cur.aliases[name]
		if !had || deref(old.ConfigID) != deref(a.ConfigID) || deref(old.GroupID) != deref(a.GroupID) {
			if a.ConfigID != nil {
				p.bumpConfigs[*a.ConfigID] = true
			} else {
				p.bumpGroups[*a.GroupID] = true
			}
		}
		next.aliases[name] = a
	}
	for name, a := range next.aliases {
		gone := a.ConfigID != nil && next.configs[*a.ConfigID] == nil || a.GroupID != nil && next.groups[*a.GroupID] == nil
		if gone || pruneKind(tc.KindAlias) && req.Selector == "" && d.get(tc.KindAlias, name) == nil {
			delete(next.aliases, name)
		}
	}
	for id, c := range next.configs {
		if _, taken := next.aliases[id]; taken && p.created[id] {
			if r := source[id]; r != nil {
				ps = append(ps, problem(r, 0, 0, "ID %q is an alias; choose another ID", c.ID))
			}
		}
	}

	// Reporting rules.
	var defaults []*tc.Resource
	for _, name := range sortedKeysOf(d.byKind[tc.KindReportingRule]) {
		r := d.byKind[tc.KindReportingRule][name]
		x := next.rules[name]
		if x == nil {
			x = &store.ReportingRule{Name: name}
			next.rules[name] = x
		}
		x.Description, x.NotReportingAfter = r.Metadata.Description, r.Spec.NotReportingAfter
		x.AutoDeleteAfter = nil
		if r.Spec.AutoDeleteAfter > 0 {
			v := r.Spec.AutoDeleteAfter
			x.AutoDeleteAfter = &v
		}
		if r.Spec.Default {
			defaults = append(defaults, r)
		}
	}
	if len(defaults) > 1 {
		ps = append(ps, problem(defaults[1], 0, 0, "only one reporting rule can be the default; %q at %s is too", defaults[0].Metadata.Name, where(defaults[0])))
	} else if len(defaults) == 1 {
		for _, x := range next.rules {
			x.IsDefault = x.Name == defaults[0].Metadata.Name
		}
	}
	if pruneKind(tc.KindReportingRule) && req.Selector == "" {
		for name, x := range cur.rules {
			if d.get(tc.KindReportingRule, name) == nil && !next.rules[name].IsDefault {
				_ = x
				delete(next.rules, name)
			}
		}
	}

	// Secret sets: checked, never changed — their secrets must be in tcd.
	var secretChanges []tc.ApplyChange
	if len(d.byKind[tc.KindSecretSet]) > 0 {
		names, err := s.st.SecretNames(ctx)
		if err != nil {
			return nil, err
		}
		for _, set := range sortedKeysOf(d.byKind[tc.KindSecretSet]) {
			r := d.byKind[tc.KindSecretSet][set]
			var missing []string
			for _, n := range r.Spec.Secrets {
				if !names[set][n] {
					missing = append(missing, n)
				}
			}
			if names[set] == nil || len(missing) > 0 {
				ps = append(ps, problem(r, 0, 0, "secret set %q lacks %s in tcd: secret values never go through apply; set them with tcctl secret set %s NAME", set, strings.Join(missing, ", "), set))
				continue
			}
			secretChanges = append(secretChanges, tc.ApplyChange{Kind: tc.KindSecretSet, Name: set, Action: tc.ActionUnchanged})
		}
	}

	// Constants no config of the new state references may go; those
	// referenced are reported by the checks below (undefined constants).
	if len(ps) > 0 {
		return nil, refuseApply(tc.EInvalid, ps)
	}
	changedConsts := map[string]bool{}
	for n, v := range next.constants {
		if old, ok := cur.constants[n]; !ok || old != v {
			changedConsts[n] = true
		}
	}
	for n := range cur.constants {
		if _, ok := next.constants[n]; !ok {
			changedConsts[n] = true
		}
	}
	for id, c := range next.configs {
		if p.created[id] {
			continue
		}
		for n := range changedConsts {
			if render.References(c.TOML, n) {
				p.bumpConfigs[id] = true
				break
			}
		}
	}
	if err := s.validate(ctx, p, source, changedConsts); err != nil {
		return nil, err
	}
	p.changes = append(diffStates(cur, next, req.Diff), secretChanges...)
	return p, nil
}

func without(list []string, x string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// validate renders and checks every config and group whose served
// document the apply changes, from the state after it, in parallel (one
// check per core).
func (s *Service) validate(ctx context.Context, p *applyPlan, source map[string]*tc.Resource, changedConsts map[string]bool) error {
	next := p.next
	configs := map[string]bool{}
	for id := range p.bumpConfigs {
		if next.configs[id] != nil {
			configs[id] = true
		}
	}
	for id := range p.created {
		if next.configs[id] != nil {
			configs[id] = true
		}
	}
	groups := map[string]bool{}
	for id := range p.bumpGroups {
		if next.groups[id] != nil {
			groups[id] = true
		}
	}
	for id := range p.created {
		if next.groups[id] != nil {
			groups[id] = true
		}
	}
	for gid, ms := range next.members {
		for _, m := range ms {
			if configs[m] {
				groups[gid] = true
				p.bumpGroups[gid] = true
			}
		}
	}
	type job struct {
		config, group string
	}
	var jobs []job
	for _, id := range sortedKeysOf(configs) {
		jobs = append(jobs, job{config: id})
	}
	for _, id := range sortedKeysOf(groups) {
		jobs = append(jobs, job{group: id})
	}
	// Secret references are linted against the sets of now (names only).
	names, err := s.st.SecretNames(ctx)
	if err != nil {
		return err
	}
	results := make([]verdict, len(jobs))
	var wg sync.WaitGroup
	ch := make(chan int)
	for w := 0; w < cap(s.checkSlots); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				j := jobs[i]
				// The service-wide bound on concurrent checks (one per
				// core) holds across applies and single writes.
				select {
				case s.checkSlots <- struct{}{}:
				case <-ctx.Done():
					continue
				}
				if j.config != "" {
					results[i], _ = s.checkConfig(next.configs[j.config], next.constants)
					<-s.checkSlots
					continue
				}
				var ms []*store.ConfigRow
				for _, id := range next.members[j.group] {
					if c := next.configs[id]; c != nil {
						ms = append(ms, c)
					}
				}
				results[i] = s.checkGroup(next.groups[j.group], ms, next.constants, names)
				<-s.checkSlots
			}
		}()
	}
	for i := range jobs {
		select {
		case ch <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(ch)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	var ps []tc.ApplyProblem
	badConfig := map[string]bool{}
	for i, v := range results {
		p.warnings = append(p.warnings, v.warnings...)
		if v.problem == nil {
			if j := jobs[i]; j.config != "" {
				sw, err := secretWarnings(ctx, stateSource{st: next, db: s.st}, next.configs[j.config], v.secrets, &names)
				if err != nil {
					return err
				}
				p.warnings = append(p.warnings, sw...)
			}
			continue
		}
		pr := v.problem
		if jobs[i].config != "" {
			badConfig[jobs[i].config] = true
			if r := source[jobs[i].config]; r != nil {
				ps = append(ps, problem(r, max(pr.Line, 0), pr.Column, "%s", pr.Message))
				continue
			}
			ps = append(ps, tc.ApplyProblem{Kind: tc.KindConfig, Name: pr.Name, Line: pr.Line, Column: pr.Column,
				Message: "config not in the files would not load after this apply: " + pr.Message})
			continue
		}
		skip := false
		for _, id := range next.members[jobs[i].group] {
			skip = skip || badConfig[id]
		}
		if skip {
			continue // its member's problem is listed already
		}
		msg := pr.Message
		if pr.Member != "" {
			msg = fmt.Sprintf("member %q line %d: %s", pr.Member, pr.Line, pr.Message)
		}
		ps = append(ps, tc.ApplyProblem{Kind: tc.KindConfigGroup, Name: pr.Name, Message: msg})
	}
	if len(ps) > 0 {
		return refuseApply(tc.EInvalid, ps)
	}
	if s.checks.LintErrors && len(p.warnings) > 0 {
		w := p.warnings[0]
		return tc.Errorf(tc.EInvalid, "refused: %s (tcd runs with --config-lint-errors, which turns warnings into errors): nothing was applied", describe(w)).With("affected", p.warnings)
	}
	return nil
}

// diffStates lists, per kind in order, what differs between the states.
func diffStates(cur, next *state, withDiff bool) []tc.ApplyChange {
	var out []tc.ApplyChange
	for _, kind := range tc.ResourceKinds {
		keys := map[string]bool{}
		for _, k := range cur.keys(kind) {
			keys[k] = true
		}
		for _, k := range next.keys(kind) {
			keys[k] = true
		}
		var list []tc.ApplyChange
		for k := range keys {
			inCur, inNext := cur.has(kind, k), next.has(kind, k)
			var a, b tc.Resource
			ch := tc.ApplyChange{Kind: kind}
			switch {
			case inCur && inNext:
				a, b = cur.resource(kind, k), next.resource(kind, k)
				ch.Name = b.Metadata.Name
				ch.Action = tc.ActionUnchanged
				if !reflect.DeepEqual(a, b) {
					ch.Action = tc.ActionUpdated
				}
			case inNext:
				b = next.resource(kind, k)
				ch.Name, ch.Action = b.Metadata.Name, tc.ActionCreated
			default:
				a = cur.resource(kind, k)
				ch.Name, ch.Action = a.Metadata.Name, tc.ActionDeleted
			}
			if withDiff && ch.Action != tc.ActionUnchanged {
				ch.Diff = resourceDiff(kind, ch.Name, a, b, inCur, inNext)
			}
			if inNext || inCur {
				list = append(list, ch)
			}
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
		out = append(out, list...)
	}
	return out
}

func (s *state) has(kind, key string) bool {
	switch kind {
	case tc.KindLabel:
		return s.labels[key] != nil
	case tc.KindConstant:
		_, ok := s.constants[key]
		return ok
	case tc.KindConfig:
		return s.configs[key] != nil
	case tc.KindConfigGroup:
		return s.groups[key] != nil
	case tc.KindAlias:
		_, ok := s.aliases[key]
		return ok
	case tc.KindReportingRule:
		return s.rules[key] != nil
	}
	return false
}

// resourceDiff is a minimal unified diff of a resource's fields (as YAML)
// and, for configs, of its TOML.
func resourceDiff(kind, name string, a, b tc.Resource, inA, inB bool) string {
	text := func(r tc.Resource, ok bool) (string, string) {
		if !ok {
			return "", ""
		}
		toml := r.Spec.TOML
		r.Spec.TOML = ""
		y, _ := yaml.Marshal(r)
		return string(y), toml
	}
	ay, at := text(a, inA)
	by, bt := text(b, inB)
	label := strings.ToLower(kind) + "/" + name
	out := render.Diff(label+" (tcd)", label+" (files)", ay, by)
	if at != bt {
		out += render.Diff(label+" toml (tcd)", label+" toml (files)", at, bt)
	}
	return out
}

// execute writes the plan in the apply's transaction.
func (s *Service) execute(ctx context.Context, tx *store.Store, p *applyPlan, who, applyID, note string) error {
	cur, next := p.cur, p.next
	if note == "" {
		note = "tcctl apply " + applyID
	}
	// Deletions that free names first: aliases, groups, configs, labels.
	for _, a := range sortedKeysOf(cur.aliases) {
		if _, ok := next.aliases[a]; !ok {
			if err := tx.DeleteAlias(ctx, a); err != nil && !tc.IsCode(err, tc.ENotFound) {
				return err
			}
		}
	}
	for _, id := range sortedKeysOf(cur.groups) {
		if next.groups[id] == nil {
			if err := tx.DeleteGroup(ctx, id); err != nil {
				return err
			}
		}
	}
	for _, id := range sortedKeysOf(cur.configs) {
		if next.configs[id] == nil {
			if err := tx.DeleteConfig(ctx, id); err != nil {
				return err
			}
		}
	}
	for _, n := range sortedKeysOf(cur.labels) {
		if next.labels[n] == nil {
			if err := tx.DeleteLabel(ctx, cur.labels[n].ID); err != nil {
				return err
			}
		}
	}
	for _, n := range sortedKeysOf(cur.constants) {
		if _, ok := next.constants[n]; !ok {
			if err := tx.DeleteConstant(ctx, n); err != nil {
				return err
			}
		}
	}
	// Labels.
	for _, n := range sortedKeysOf(next.labels) {
		l, old := next.labels[n], cur.labels[n]
		switch {
		case old == nil:
			row := *l
			if err := tx.InsertLabel(ctx, &row); err != nil {
				return err
			}
		case old.Description != l.Description || old.Color != l.Color:
			if err := tx.UpdateLabel(ctx, l.ID, map[string]any{"description": l.Description, "color": l.Color}); err != nil {
				return err
			}
		}
	}
	labelIDs := func(names []string) []string {
		out := make([]string, 0, len(names))
		for _, n := range names {
			out = append(out, next.labels[n].ID)
		}
		return out
	}
	relabel := func(kind, owner string, before, after []string) error {
		var add, del []string
		for _, n := range after {
			if !contains(before, n) {
				add = append(add, n)
			}
		}
		for _, n := range before {
			if !contains(after, n) && cur.labels[n] != nil && next.labels[n] != nil {
				del = append(del, n)
			}
		}
		if err := tx.UnlinkLabels(ctx, kind, []string{owner}, labelIDs(del)); err != nil {
			return err
		}
		return tx.LinkLabels(ctx, kind, []string{owner}, labelIDs(add))
	}
	// Constants.
	for _, n := range sortedKeysOf(next.constants) {
		if old, ok := cur.constants[n]; !ok || old != next.constants[n] {
			if _, err := tx.SetConstant(ctx, n, next.constants[n]); err != nil {
				return err
			}
		}
	}
	// Configs.
	now := s.unixNow()
	t := tx.Now()
	for _, id := range sortedKeysOf(next.configs) {
		c, old := next.configs[id], cur.configs[id]
		if old == nil {
			row := &store.ConfigRow{ID: id, Name: c.Name, Description: c.Description, TOML: c.TOML, Version: 1, LastModified: now,
				EnvHandling: c.EnvHandling, CreatedAt: t, UpdatedAt: t}
			if err := tx.InsertConfig(ctx, row); err != nil {
				return err
			}
			if err := tx.InsertVersion(ctx, versionRow(ctx, id, 1, c.TOML, note, who, t)); err != nil {
				return err
			}
		} else {
			cols := map[string]any{}
			if old.Name != c.Name {
				cols["name"] = c.Name
			}
			if old.Description != c.Description {
				cols["description"] = c.Description
			}
			if old.EnvHandling != c.EnvHandling {
				cols["env_handling"] = c.EnvHandling
			}
			if old.TOML != c.TOML {
				// A config in a rollout changes through the rollout only.
				if err := s.refuseDuringRollout(ctx, tx, old); err != nil {
					return err
				}
				n, err := newVersion(ctx, tx, old, c.TOML, note, who)
				if err != nil {
					return err
				}
				cols["toml"], cols["version"] = c.TOML, n
			}
			if len(cols) > 0 {
				if err := tx.UpdateConfig(ctx, id, cols); err != nil {
					return err
				}
			}
		}
		if err := relabel(store.LinkConfigs, id, cur.cfgLabels[id], next.cfgLabels[id]); err != nil {
			return err
		}
	}
	// Groups.
	for _, id := range sortedKeysOf(next.groups) {
		g, old := next.groups[id], cur.groups[id]
		if old == nil {
			if err := tx.InsertGroup(ctx, &store.GroupRow{ID: id, Name: g.Name, Description: g.Description, LastModified: now, CreatedAt: t, UpdatedAt: t}); err != nil {
				return err
			}
		} else if old.Name != g.Name || old.Description != g.Description {
			if err := tx.UpdateGroup(ctx, id, map[string]any{"name": g.Name, "description": g.Description}); err != nil {
				return err
			}
		}
		if old == nil || !equal(cur.members[id], next.members[id]) {
			if err := tx.SetGroupMembers(ctx, id, next.members[id]); err != nil {
				return err
			}
		}
		if err := relabel(store.LinkGroups, id, cur.grpLabels[id], next.grpLabels[id]); err != nil {
			return err
		}
	}
	// Aliases.
	for _, n := range sortedKeysOf(next.aliases) {
		a, old := next.aliases[n], cur.aliases[n]
		if _, had := cur.aliases[n]; !had || deref(old.ConfigID) != deref(a.ConfigID) || deref(old.GroupID) != deref(a.GroupID) {
			row := a
			if err := tx.PutAlias(ctx, &row); err != nil {
				return err
			}
		}
	}
	// Reporting rules: creations and changes, then deletions (their
	// agents move to the default of the new state).
	for _, n := range sortedKeysOf(next.rules) {
		x, old := next.rules[n], cur.rules[n]
		if old == nil {
			row := *x
			if err := tx.CreateRule(ctx, &row); err != nil {
				return err
			}
			x.ID = row.ID
			continue
		}
		cols := map[string]any{}
		if old.Description != x.Description {
			cols["description"] = x.Description
		}
		if old.NotReportingAfter != x.NotReportingAfter {
			cols["not_reporting_after"] = x.NotReportingAfter
		}
		if derefInt(old.AutoDeleteAfter) != derefInt(x.AutoDeleteAfter) {
			cols["auto_delete_after"] = x.AutoDeleteAfter
		}
		if x.IsDefault && !old.IsDefault {
			cols["is_default"] = true
		}
		if len(cols) > 0 {
			if err := tx.UpdateRule(ctx, old.ID, cols); err != nil {
				return err
			}
		}
	}
	if def := next.defaultRule(); def != nil {
		for _, n := range sortedKeysOf(cur.rules) {
			if next.rules[n] == nil {
				if _, err := tx.DeleteRule(ctx, cur.rules[n].ID, def.ID); err != nil {
					return err
				}
			}
		}
	}
	// What agents fetch moved: Last-Modified forward, once each.
	var cb []string
	gset := map[string]bool{}
	for id := range p.bumpConfigs {
		if !p.created[id] && next.configs[id] != nil {
			cb = append(cb, id)
			for gid, ms := range next.members {
				if contains(ms, id) {
					gset[gid] = true
				}
			}
		}
	}
	for id := range p.bumpGroups {
		gset[id] = true
	}
	var gb []string
	for id := range gset {
		if !p.created[id] && next.groups[id] != nil {
			gb = append(gb, id)
		}
	}
	sort.Strings(cb)
	sort.Strings(gb)
	if err := tx.BumpConfigs(ctx, cb, now); err != nil {
		return err
	}
	return tx.BumpGroups(ctx, gb, now)
}

func derefInt(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
