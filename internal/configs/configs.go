package configs

import (
	"context"
	"fmt"
	"time"

	"github.com/opentc/tc/internal/auth"

	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// ConfigFilter narrows ListConfigs (Sort: name, createdAt or updatedAt).
type ConfigFilter struct {
	Search, Label, Name, Sort string
	// Labels: every one of them (with Label).
	Labels []string
	Desc   bool
	tc.Page
}

var sortColumns = map[string]string{"": "name", "name": "name", "createdAt": "created_at", "updatedAt": "updated_at"}

func storeFilter(f ConfigFilter) (store.ConfigFilter, error) {
	col, ok := sortColumns[f.Sort]
	if !ok {
		return store.ConfigFilter{}, tc.Errorf(tc.EInvalid, "sort must be name, createdAt or updatedAt (got %q)", f.Sort).With("field", "sort")
	}
	return store.ConfigFilter{Search: f.Search, Label: f.Label, Labels: f.Labels, Name: f.Name, Sort: col, Desc: f.Desc, Page: f.Page}, nil
}

// CreateConfig validates and stores a config with version 1.
// Errors: invalid (field, line/column for TOML), conflict (name, ID).
func (s *Service) CreateConfig(ctx context.Context, who string, req tc.CreateConfigRequest) (tc.Config, error) {
	name, err := tc.CheckName("name", req.Name)
	if err != nil {
		return tc.Config{}, err
	}
	if _, err := tc.CheckText("description", req.Description, tc.MaxDescriptionLen); err != nil {
		return tc.Config{}, err
	}
	if _, err := tc.CheckText("note", req.Note, tc.MaxNoteLen); err != nil {
		return tc.Config{}, err
	}
	if err := tc.CheckEnvHandling(req.EnvHandling); err != nil {
		return tc.Config{}, err
	}
	if err := s.checkTemplate(req.TOML); err != nil {
		return tc.Config{}, err
	}
	id := req.ID
	if id != "" {
		if err := tc.CheckConfigID(id); err != nil {
			return tc.Config{}, err
		}
	} else {
		id = store.NewID()
	}
	note := req.Note
	if note == "" {
		note = "Initial version"
	}
	if err := s.precheck(ctx, &store.ConfigRow{ID: id, Name: name, TOML: req.TOML, EnvHandling: req.EnvHandling}); err != nil {
		return tc.Config{}, err
	}
	var warnings []tc.ConfigProblem
	err = s.write(ctx, func(tx *store.Store) error {
		if taken, err := tx.ConfigNameTaken(ctx, name, ""); err != nil {
			return err
		} else if taken {
			return tc.Errorf(tc.EConflict, "a config named %q already exists", name).With("field", "name")
		}
		if _, err := tx.ConfigByID(ctx, id); err == nil {
			return tc.Errorf(tc.EConflict, "a config with ID %q already exists", id).With("field", "id")
		}
		if _, err := tx.AliasByName(ctx, id); err == nil {
			return tc.Errorf(tc.EConflict, "%q is already an alias; choose another ID", id).With("field", "id")
		}
		labelIDs, err := resolveLabels(ctx, tx, req.Labels)
		if err != nil {
			return err
		}
		now := tx.Now()
		row := &store.ConfigRow{ID: id, Name: name, Description: req.Description, TOML: req.TOML, Version: 1,
			LastModified: s.unixNow(), CreatedAt: now, UpdatedAt: now, EnvHandling: req.EnvHandling}
		if err := tx.InsertConfig(ctx, row); err != nil {
			return err
		}
		if err := tx.InsertVersion(ctx, versionRow(ctx, id, 1, req.TOML, note, who, now)); err != nil {
			return err
		}
		if warnings, err = s.checkServing(ctx, tx, affected{configs: []string{id}, self: id}); err != nil {
			return err
		}
		return tx.LinkLabels(ctx, store.LinkConfigs, []string{id}, labelIDs)
	})
	if err != nil {
		return tc.Config{}, err
	}
	c, err := s.GetConfig(ctx, id)
	c.Warnings = warnings
	return c, err
}

func resolveLabels(ctx context.Context, st *store.Store, refs []string) ([]string, error) {
	var ids []string
	seen := map[string]bool{}
	for _, r := range refs {
		l, err := st.LabelByRef(ctx, r)
		if tc.IsCode(err, tc.ENotFound) {
			return nil, tc.Errorf(tc.EInvalid, "label %q not found", r).With("field", "labels")
		}
		if err != nil {
			return nil, err
		}
		if !seen[l.ID] {
			seen[l.ID] = true
			ids = append(ids, l.ID)
		}
	}
	return ids, nil
}

// resolveConfig finds a config by ID, then by alias. Errors: not_found.
func resolveConfig(ctx context.Context, st *store.Store, ref string) (*store.ConfigRow, error) {
	c, err := st.ConfigByID(ctx, ref)
	if err == nil || !tc.IsCode(err, tc.ENotFound) {
		return c, err
	}
	a, err := st.AliasByName(ctx, ref)
	if err == nil && a.ConfigID != nil {
		return st.ConfigByID(ctx, *a.ConfigID)
	}
	if err == nil {
		return nil, notFound("config %q not found (%q is the alias of a config group)", ref, ref)
	}
	if tc.IsCode(err, tc.ENotFound) {
		return nil, notFound("config %q not found", ref)
	}
	return nil, err
}

// GetConfig returns a config by ID or alias. Errors: not_found.
func (s *Service) GetConfig(ctx context.Context, ref string) (tc.Config, error) {
	row, err := resolveConfig(ctx, s.st, ref)
	if err != nil {
		return tc.Config{}, err
	}
	out, err := s.apiConfigs(ctx, []store.ConfigRow{*row})
	if err != nil {
		return tc.Config{}, err
	}
	return out[0], nil
}

// ListConfigs returns a page of configs. Errors: invalid (sort).
func (s *Service) ListConfigs(ctx context.Context, f ConfigFilter) (tc.List[tc.Config], error) {
	sf, err := storeFilter(f)
	if err != nil {
		return tc.List[tc.Config]{}, err
	}
	rows, total, err := s.st.ListConfigs(ctx, sf)
	if err != nil {
		return tc.List[tc.Config]{}, err
	}
	items, err := s.apiConfigs(ctx, rows)
	return tc.List[tc.Config]{Items: items, Total: total, Limit: f.Limit, Offset: f.Offset}, err
}

func (s *Service) apiConfigs(ctx context.Context, rows []store.ConfigRow) ([]tc.Config, error) {
	return apiConfigsOn(ctx, s.st, rows)
}

func apiConfigsOn(ctx context.Context, st *store.Store, rows []store.ConfigRow) ([]tc.Config, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	labels, err := st.LabelsOf(ctx, store.LinkConfigs, ids)
	if err != nil {
		return nil, err
	}
	aliases, err := st.AliasesOf(ctx, store.LinkConfigs, ids)
	if err != nil {
		return nil, err
	}
	out := make([]tc.Config, len(rows))
	for i, r := range rows {
		out[i] = tc.Config{ID: r.ID, Name: r.Name, Description: r.Description, TOML: r.TOML, Version: r.Version,
			Labels: apiLabels(labels[r.ID]), Aliases: nonNil(aliases[r.ID]), LastModified: lmTime(r.LastModified),
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), EnvHandling: r.EnvHandling}
	}
	return out, nil
}

func apiLabels(rows []store.LabelRow) []tc.Label {
	out := make([]tc.Label, len(rows))
	for i := range rows {
		out[i] = rows[i].API()
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// UpdateConfig changes name, description and/or TOML. A TOML change
// creates a new version (with the note); identical TOML and metadata
// changes do not. Errors: not_found, invalid, conflict (name).
func (s *Service) UpdateConfig(ctx context.Context, who, ref string, req tc.UpdateConfigRequest) (tc.Config, error) {
	cols := map[string]any{}
	var name string
	if req.Name != nil {
		n, err := tc.CheckName("name", *req.Name)
		if err != nil {
			return tc.Config{}, err
		}
		name = n
	}
	if req.Description != nil {
		if _, err := tc.CheckText("description", *req.Description, tc.MaxDescriptionLen); err != nil {
			return tc.Config{}, err
		}
		cols["description"] = *req.Description
	}
	note := ""
	if req.Note != nil {
		if _, err := tc.CheckText("note", *req.Note, tc.MaxNoteLen); err != nil {
			return tc.Config{}, err
		}
		note = *req.Note
	}
	if req.TOML != nil {
		if err := s.checkTemplate(*req.TOML); err != nil {
			return tc.Config{}, err
		}
	}
	if req.EnvHandling != nil {
		if err := tc.CheckEnvHandling(*req.EnvHandling); err != nil {
			return tc.Config{}, err
		}
	}
	var ah *ahead
	if req.TOML != nil || req.EnvHandling != nil {
		cur, err := resolveConfig(ctx, s.st, ref)
		if err != nil {
			return tc.Config{}, err
		}
		next := *cur
		if req.TOML != nil {
			next.TOML = *req.TOML
		}
		if req.EnvHandling != nil {
			next.EnvHandling = *req.EnvHandling
		}
		if next.TOML != cur.TOML || next.EnvHandling != cur.EnvHandling {
			if err := s.precheck(ctx, &next); err != nil {
				return tc.Config{}, err
			}
			// The groups holding it are checked ahead too.
			if ah, err = s.checkAhead(ctx, func(st *state) (affected, error) {
				if c := st.configs[cur.ID]; c != nil {
					c.TOML, c.EnvHandling = next.TOML, next.EnvHandling
				}
				return affected{configs: []string{cur.ID}, self: cur.ID}, nil
			}); err != nil {
				return tc.Config{}, err
			}
		}
	}
	var (
		id       string
		warnings []tc.ConfigProblem
	)
	err := s.write(ctx, func(tx *store.Store) error {
		fresh, err := ah.still(ctx, tx)
		if err != nil {
			return err
		}
		row, err := resolveConfig(ctx, tx, ref)
		if err != nil {
			return err
		}
		if row, err = s.guardConfig(ctx, tx, row); err != nil {
			return err
		}
		id = row.ID
		now := s.unixNow()
		if req.Name != nil && name != row.Name {
			if taken, err := tx.ConfigNameTaken(ctx, name, row.ID); err != nil {
				return err
			} else if taken {
				return tc.Errorf(tc.EConflict, "a config named %q already exists", name).With("field", "name")
			}
			cols["name"] = name
			// Group documents name their members in a comment.
			groups, err := tx.GroupsContaining(ctx, []string{row.ID})
			if err != nil {
				return err
			}
			if err := tx.BumpGroups(ctx, groups, now); err != nil {
				return err
			}
		}
		changed := false
		if req.TOML != nil && *req.TOML != row.TOML {
			if err := s.refuseDuringRollout(ctx, tx, row); err != nil {
				return err
			}
			n, err := newVersion(ctx, tx, row, *req.TOML, note, who)
			if err != nil {
				return err
			}
			cols["toml"] = *req.TOML
			cols["version"] = n
			changed = true
		}
		if req.EnvHandling != nil && *req.EnvHandling != row.EnvHandling {
			cols["env_handling"] = *req.EnvHandling
			changed = true
		}
		if changed {
			if err := bumpConfigs(ctx, tx, now, row.ID); err != nil {
				return err
			}
		}
		if len(cols) == 0 {
			return nil
		}
		if err := tx.UpdateConfig(ctx, row.ID, cols); err != nil {
			return err
		}
		if changed && fresh {
			warnings = ah.warnings
		} else if changed {
			warnings, err = s.checkServing(ctx, tx, affected{configs: []string{row.ID}, self: row.ID})
		}
		return err
	})
	if err != nil {
		return tc.Config{}, err
	}
	c, err := s.GetConfig(ctx, id)
	c.Warnings = warnings
	return c, err
}

// newVersion adds the next version of a config: one above the highest
// (a rollout may have left a newer version than the current one) and
// returns its number.
func newVersion(ctx context.Context, tx *store.Store, row *store.ConfigRow, toml, note, who string) (int, error) {
	n, err := tx.MaxVersion(ctx, row.ID)
	if err != nil {
		return 0, err
	}
	n = max(n, row.Version) + 1
	return n, tx.InsertVersion(ctx, versionRow(ctx, row.ID, n, toml, note, who, tx.Now()))
}

// versionRow is a new version's row; a token-authenticated request (the
// principal in ctx) also names its token, so config history tells a CI
// token's pushes from its owner's own.
func versionRow(ctx context.Context, id string, version int, toml, note, who string, at time.Time) *store.ConfigVersionRow {
	v := &store.ConfigVersionRow{ConfigID: id, Version: version, TOML: toml, Note: note, Author: author(who), CreatedAt: at}
	if p := auth.PrincipalFrom(ctx); p != nil && p.Credential == tc.CredentialToken {
		v.TokenID, v.TokenDescription = p.TokenID, p.TokenDescription
	}
	return v
}

// DeleteConfig deletes a config, its versions and aliases, and removes it
// from groups. While agents that reported within their threshold use it,
// it answers conflict unless force. Errors: not_found, conflict.
func (s *Service) DeleteConfig(ctx context.Context, ref string, force bool) error {
	row, err := resolveConfig(ctx, s.st, ref)
	if err != nil {
		return err
	}
	if !force {
		n, err := s.usage.ActiveAgentsUsing(ctx, row.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return tc.Errorf(tc.EConflict, "config %q is used by %d reporting agent(s); delete with force=true to delete it anyway", row.Name, n).With("agents", n)
		}
	}
	err = s.write(ctx, func(tx *store.Store) error {
		if _, err := s.guardConfig(ctx, tx, row); err != nil {
			return err
		}
		groups, err := tx.GroupsContaining(ctx, []string{row.ID})
		if err != nil {
			return err
		}
		if err := tx.BumpGroups(ctx, groups, s.unixNow()); err != nil {
			return err
		}
		return tx.DeleteConfig(ctx, row.ID)
	})
	if err == nil {
		s.reloadRollouts(ctx) // its rollouts were aborted
	}
	return err
}

// Versions lists the versions of a config, newest first. Errors: not_found.
func (s *Service) Versions(ctx context.Context, ref string) ([]tc.ConfigVersion, error) {
	row, err := resolveConfig(ctx, s.st, ref)
	if err != nil {
		return nil, err
	}
	rows, err := s.st.Versions(ctx, row.ID)
	if err != nil {
		return nil, err
	}
	out := make([]tc.ConfigVersion, len(rows))
	for i, v := range rows {
		out[i] = apiVersion(&v, row.Version)
	}
	return out, nil
}

func apiVersion(v *store.ConfigVersionRow, current int) tc.ConfigVersion {
	return tc.ConfigVersion{Version: v.Version, Note: v.Note, Author: v.Author, TokenID: v.TokenID, TokenDescription: v.TokenDescription, CreatedAt: v.CreatedAt.UTC(), TOML: v.TOML, Current: v.Version == current}
}

// Version returns version n of a config. Errors: not_found.
func (s *Service) Version(ctx context.Context, ref string, n int) (tc.ConfigVersion, error) {
	row, err := resolveConfig(ctx, s.st, ref)
	if err != nil {
		return tc.ConfigVersion{}, err
	}
	v, err := s.st.Version(ctx, row.ID, n)
	if err != nil {
		return tc.ConfigVersion{}, err
	}
	return apiVersion(v, row.Version), nil
}

// Diff returns the unified diff from version from to version to.
// Errors: not_found, invalid.
func (s *Service) Diff(ctx context.Context, ref string, from, to int) (tc.ConfigDiff, error) {
	if from < 1 || to < 1 {
		return tc.ConfigDiff{}, tc.Errorf(tc.EInvalid, "from and to must be version numbers (1 or more)")
	}
	row, err := resolveConfig(ctx, s.st, ref)
	if err != nil {
		return tc.ConfigDiff{}, err
	}
	a, err := s.st.Version(ctx, row.ID, from)
	if err != nil {
		return tc.ConfigDiff{}, err
	}
	b, err := s.st.Version(ctx, row.ID, to)
	if err != nil {
		return tc.ConfigDiff{}, err
	}
	d := render.Diff(fmt.Sprintf("%s@v%d", row.Name, from), fmt.Sprintf("%s@v%d", row.Name, to), a.TOML, b.TOML)
	return tc.ConfigDiff{From: from, To: to, Diff: d}, nil
}

// Rollback makes the TOML of an earlier version current again, as a new
// version. Rolling back to content equal to the current TOML creates
// nothing. Errors: not_found, invalid.
func (s *Service) Rollback(ctx context.Context, who, ref string, req tc.RollbackRequest) (tc.Config, error) {
	var (
		id       string
		warnings []tc.ConfigProblem
	)
	err := s.write(ctx, func(tx *store.Store) error {
		row, err := resolveConfig(ctx, tx, ref)
		if err != nil {
			return err
		}
		id = row.ID
		if req.Version == row.Version {
			return tc.Errorf(tc.EInvalid, "version %d is already the current version", req.Version).With("field", "version")
		}
		v, err := tx.Version(ctx, row.ID, req.Version)
		if err != nil {
			return err
		}
		if v.TOML == row.TOML {
			return nil
		}
		note := fmt.Sprintf("Rollback to version %d", req.Version)
		if req.Note != nil && *req.Note != "" {
			if _, err := tc.CheckText("note", *req.Note, tc.MaxNoteLen); err != nil {
				return err
			}
			note = *req.Note
		}
		if err := s.refuseDuringRollout(ctx, tx, row); err != nil {
			return err
		}
		n, err := newVersion(ctx, tx, row, v.TOML, note, who)
		if err != nil {
			return err
		}
		if err := tx.UpdateConfig(ctx, row.ID, map[string]any{"toml": v.TOML, "version": n}); err != nil {
			return err
		}
		if err := bumpConfigs(ctx, tx, s.unixNow(), row.ID); err != nil {
			return err
		}
		// The old version is checked as it would render today (constants
		// may have changed since); a problem is a conflict, not bad input.
		warnings, err = s.checkServing(ctx, tx, affected{configs: []string{row.ID}})
		return err
	})
	if err != nil {
		return tc.Config{}, err
	}
	c, err := s.GetConfig(ctx, id)
	c.Warnings = warnings
	return c, err
}

// SetVersionNote edits the note of version n. Errors: not_found, invalid.
func (s *Service) SetVersionNote(ctx context.Context, ref string, n int, note string) (tc.ConfigVersion, error) {
	if _, err := tc.CheckText("note", note, tc.MaxNoteLen); err != nil {
		return tc.ConfigVersion{}, err
	}
	row, err := resolveConfig(ctx, s.st, ref)
	if err != nil {
		return tc.ConfigVersion{}, err
	}
	if err := s.st.SetVersionNote(ctx, row.ID, n, note); err != nil {
		return tc.ConfigVersion{}, err
	}
	return s.Version(ctx, row.ID, n)
}

// Prune deletes the versions numbered below before; the current version is
// never deleted (so the only version is kept too), nor are the versions a
// queued, running or paused rollout of the config moves from or to (they
// are listed in Kept: a rollout whose version went could neither complete
// nor roll back). Errors: not_found, invalid.
func (s *Service) Prune(ctx context.Context, ref string, before int) (tc.PruneResult, error) {
	if before < 1 {
		return tc.PruneResult{}, tc.Errorf(tc.EInvalid, "before must be a version number (1 or more)").With("field", "before")
	}
	row, err := resolveConfig(ctx, s.st, ref)
	if err != nil {
		return tc.PruneResult{}, err
	}
	var out tc.PruneResult
	// A write (other nodes are told): the versions kept in memory go too.
	err = s.write(ctx, func(tx *store.Store) error {
		// First: a rollout starting now waits, then sees what is left.
		if err := tx.LockRolloutGroups(ctx); err != nil {
			return err
		}
		// Which version is current is read here, under the config's row
		// lock: a config write committing since resolveConfig (or while
		// this waited for the lock) made a newer one current.
		if err := tx.LockRow(ctx, "configs", "id", row.ID); err != nil {
			return err
		}
		cur, err := tx.ConfigByID(ctx, row.ID)
		if err != nil {
			return err
		}
		n, kept, err := tx.DeleteVersionsBefore(ctx, row.ID, before, cur.Version)
		out = tc.PruneResult{Deleted: n, Kept: kept}
		return err
	})
	if err != nil {
		return tc.PruneResult{}, err
	}
	return out, nil
}
