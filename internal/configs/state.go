package configs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// state is the whole configuration of a tcd as config as code sees it:
// what export writes, what apply compares the files with, and — cloned and
// changed — what tcd would be after an apply.
type state struct {
	configs   map[string]*store.ConfigRow // by ID
	cfgLabels map[string][]string         // config ID → label names, sorted
	groups    map[string]*store.GroupRow  // by ID
	members   map[string][]string         // group ID → config IDs in order
	grpLabels map[string][]string         // group ID → label names, sorted
	constants map[string]string
	labels    map[string]*store.LabelRow // by name
	aliases   map[string]store.AliasRow  // by alias
	rules     map[string]*store.ReportingRule
}

// loadState reads the state; without withTOML the configs' TOML is left
// out (fingerprint needs only their versions).
func loadState(ctx context.Context, st *store.Store, withTOML bool) (*state, error) {
	s := &state{configs: map[string]*store.ConfigRow{}, cfgLabels: map[string][]string{}, groups: map[string]*store.GroupRow{},
		grpLabels: map[string][]string{}, constants: map[string]string{}, labels: map[string]*store.LabelRow{},
		aliases: map[string]store.AliasRow{}, rules: map[string]*store.ReportingRule{}}
	cfgs, err := st.AllConfigs(ctx, withTOML)
	if err != nil {
		return nil, err
	}
	for i := range cfgs {
		s.configs[cfgs[i].ID] = &cfgs[i]
	}
	groups, err := st.AllGroups(ctx)
	if err != nil {
		return nil, err
	}
	for i := range groups {
		s.groups[groups[i].ID] = &groups[i]
	}
	if s.members, err = st.AllGroupMembers(ctx); err != nil {
		return nil, err
	}
	labels, err := st.AllLabels(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]string{}
	for i := range labels {
		s.labels[labels[i].Name] = &labels[i]
		byID[labels[i].ID] = labels[i].Name
	}
	for kind, dst := range map[string]map[string][]string{store.LinkConfigs: s.cfgLabels, store.LinkGroups: s.grpLabels} {
		links, err := st.AllLabelLinks(ctx, kind)
		if err != nil {
			return nil, err
		}
		for owner, ids := range links {
			names := make([]string, 0, len(ids))
			for _, id := range ids {
				names = append(names, byID[id])
			}
			sort.Strings(names)
			dst[owner] = names
		}
	}
	consts, err := st.ListConstants(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range consts {
		s.constants[c.Name] = c.Value
	}
	aliases, err := st.ListAliases(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range aliases {
		s.aliases[a.Alias] = a
	}
	rules, err := st.AllRules(ctx)
	if err != nil {
		return nil, err
	}
	for i := range rules {
		s.rules[rules[i].Name] = &rules[i]
	}
	return s, nil
}

// fingerprint is a digest of everything an apply's plan depends on; a
// config's TOML is represented by its version (every TOML change is one).
func (s *state) fingerprint() string {
	h := sha256.New()
	for _, id := range sortedKeysOf(s.configs) {
		c := s.configs[id]
		fmt.Fprintf(h, "c\x00%s\x00%s\x00%s\x00%d\x00%s\x00%d\x00%v\x00%q\n", c.ID, c.Name, c.Description, c.Version, c.EnvHandling, c.LastModified, c.UpdatedAt.UnixMicro(), s.cfgLabels[id])
	}
	for _, id := range sortedKeysOf(s.groups) {
		g := s.groups[id]
		fmt.Fprintf(h, "g\x00%s\x00%s\x00%s\x00%d\x00%q\x00%q\n", g.ID, g.Name, g.Description, g.LastModified, s.members[id], s.grpLabels[id])
	}
	for _, n := range sortedKeysOf(s.constants) {
		fmt.Fprintf(h, "k\x00%s\x00%s\n", n, s.constants[n])
	}
	for _, n := range sortedKeysOf(s.labels) {
		l := s.labels[n]
		fmt.Fprintf(h, "l\x00%s\x00%s\x00%s\x00%s\n", l.ID, l.Name, l.Description, l.Color)
	}
	for _, n := range sortedKeysOf(s.aliases) {
		a := s.aliases[n]
		fmt.Fprintf(h, "a\x00%s\x00%s\x00%s\n", a.Alias, deref(a.ConfigID), deref(a.GroupID))
	}
	for _, n := range sortedKeysOf(s.rules) {
		r := s.rules[n]
		ad := int64(0)
		if r.AutoDeleteAfter != nil {
			ad = *r.AutoDeleteAfter
		}
		fmt.Fprintf(h, "r\x00%s\x00%s\x00%s\x00%d\x00%d\x00%v\n", r.ID, r.Name, r.Description, r.NotReportingAfter, ad, r.IsDefault)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// clone returns a copy that can be changed without touching s.
func (s *state) clone() *state {
	n := &state{configs: map[string]*store.ConfigRow{}, cfgLabels: map[string][]string{}, groups: map[string]*store.GroupRow{},
		members: map[string][]string{}, grpLabels: map[string][]string{}, constants: map[string]string{}, labels: map[string]*store.LabelRow{},
		aliases: map[string]store.AliasRow{}, rules: map[string]*store.ReportingRule{}}
	for k, v := range s.configs {
		c := *v
		n.configs[k] = &c
	}
	for k, v := range s.groups {
		g := *v
		n.groups[k] = &g
	}
	for k, v := range s.labels {
		l := *v
		n.labels[k] = &l
	}
	for k, v := range s.rules {
		r := *v
		n.rules[k] = &r
	}
	for k, v := range s.cfgLabels {
		n.cfgLabels[k] = v
	}
	for k, v := range s.grpLabels {
		n.grpLabels[k] = v
	}
	for k, v := range s.members {
		n.members[k] = v
	}
	for k, v := range s.constants {
		n.constants[k] = v
	}
	for k, v := range s.aliases {
		n.aliases[k] = v
	}
	return n
}

func (s *state) configByName(name string) *store.ConfigRow {
	for _, c := range s.configs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (s *state) groupByName(name string) *store.GroupRow {
	for _, g := range s.groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

func (s *state) defaultRule() *store.ReportingRule {
	for _, r := range s.rules {
		if r.IsDefault {
			return r
		}
	}
	return nil
}

// resource is the declarative form of one object of the state (kind and
// its key: ID for configs and groups, name otherwise); TOML inline.
func (s *state) resource(kind, key string) tc.Resource {
	r := tc.Resource{APIVersion: tc.ResourceAPIVersion, Kind: kind}
	switch kind {
	case tc.KindLabel:
		l := s.labels[key]
		r.Metadata = tc.ResourceMetadata{Name: l.Name, Description: l.Description}
		r.Spec.Color = l.Color
	case tc.KindConstant:
		v := s.constants[key]
		r.Metadata.Name, r.Spec.Value = key, &v
	case tc.KindConfig:
		c := s.configs[key]
		r.Metadata = tc.ResourceMetadata{Name: c.Name, ID: c.ID, Description: c.Description, Labels: s.cfgLabels[key]}
		r.Spec.TOML, r.Spec.EnvHandling = c.TOML, c.EnvHandling
	case tc.KindConfigGroup:
		g := s.groups[key]
		r.Metadata = tc.ResourceMetadata{Name: g.Name, ID: g.ID, Description: g.Description, Labels: s.grpLabels[key]}
		for _, id := range s.members[key] {
			if c := s.configs[id]; c != nil {
				r.Spec.Members = append(r.Spec.Members, c.Name)
			}
		}
	case tc.KindAlias:
		a := s.aliases[key]
		r.Metadata.Name = key
		if a.ConfigID != nil {
			if c := s.configs[*a.ConfigID]; c != nil {
				r.Spec.Config = c.Name
			}
		} else if a.GroupID != nil {
			if g := s.groups[*a.GroupID]; g != nil {
				r.Spec.Group = g.Name
			}
		}
	case tc.KindReportingRule:
		x := s.rules[key]
		r.Metadata = tc.ResourceMetadata{Name: x.Name, Description: x.Description}
		r.Spec.NotReportingAfter, r.Spec.Default = x.NotReportingAfter, x.IsDefault
		if x.AutoDeleteAfter != nil {
			r.Spec.AutoDeleteAfter = *x.AutoDeleteAfter
		}
	}
	return r
}

// keys returns the keys of every object of a kind, sorted by name.
func (s *state) keys(kind string) []string {
	var out []string
	switch kind {
	case tc.KindLabel:
		out = sortedKeysOf(s.labels)
	case tc.KindConstant:
		out = sortedKeysOf(s.constants)
	case tc.KindAlias:
		out = sortedKeysOf(s.aliases)
	case tc.KindReportingRule:
		out = sortedKeysOf(s.rules)
	case tc.KindConfig:
		out = sortedKeysOf(s.configs)
		sort.SliceStable(out, func(i, j int) bool { return s.configs[out[i]].Name < s.configs[out[j]].Name })
	case tc.KindConfigGroup:
		out = sortedKeysOf(s.groups)
		sort.SliceStable(out, func(i, j int) bool { return s.groups[out[i]].Name < s.groups[out[j]].Name })
	}
	return out
}

// Export returns the configuration as resources (kinds: all when empty;
// label: only configs and groups carrying it, and the aliases of those).
// The order is stable: by kind, then name.
func (s *Service) Export(ctx context.Context, kinds []string, label string, secretNames bool) (tc.ResourceList, error) {
	want := map[string]bool{}
	for _, k := range kinds {
		if k == tc.KindSecretSet {
			want[k] = true
			continue
		}
		if !knownKind(k) {
			return tc.ResourceList{}, tc.Errorf(tc.EInvalid, "unknown kind %q: use %v", k, tc.ResourceKinds).With("field", "kind")
		}
		want[k] = true
	}
	if label != "" {
		if _, err := tc.CheckName("label", label); err != nil {
			return tc.ResourceList{}, err
		}
	}
	st, err := loadState(ctx, s.st, true)
	if err != nil {
		return tc.ResourceList{}, err
	}
	has := func(labels []string) bool {
		for _, l := range labels {
			if l == label {
				return true
			}
		}
		return false
	}
	out := tc.ResourceList{Resources: []tc.Resource{}}
	for _, kind := range tc.ResourceKinds {
		if len(want) > 0 && !want[kind] {
			continue
		}
		for _, key := range st.keys(kind) {
			if label != "" {
				switch kind {
				case tc.KindConfig:
					if !has(st.cfgLabels[key]) {
						continue
					}
				case tc.KindConfigGroup:
					if !has(st.grpLabels[key]) {
						continue
					}
				case tc.KindAlias:
					a := st.aliases[key]
					if !(a.ConfigID != nil && has(st.cfgLabels[*a.ConfigID]) || a.GroupID != nil && has(st.grpLabels[*a.GroupID])) {
						continue
					}
				default:
					continue
				}
			}
			out.Resources = append(out.Resources, st.resource(kind, key))
		}
	}
	// Secret sets by the names of their secrets, for callers who may list
	// them; never a value.
	if secretNames && label == "" && (len(want) == 0 || want[tc.KindSecretSet]) {
		names, err := s.st.SecretNames(ctx)
		if err != nil {
			return tc.ResourceList{}, err
		}
		for _, set := range sortedKeysOf(names) {
			r := tc.Resource{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindSecretSet, Metadata: tc.ResourceMetadata{Name: set}}
			r.Spec.Secrets = sortedKeysOf(names[set])
			out.Resources = append(out.Resources, r)
		}
	}
	return out, nil
}

func knownKind(k string) bool {
	for _, x := range tc.ResourceKinds {
		if x == k {
			return true
		}
	}
	return false
}
