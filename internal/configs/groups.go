package configs

import (
	"context"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// resolveGroup finds a group by ID, then by alias. Errors: not_found.
func resolveGroup(ctx context.Context, st *store.Store, ref string) (*store.GroupRow, error) {
	g, err := st.GroupByID(ctx, ref)
	if err == nil || !tc.IsCode(err, tc.ENotFound) {
		return g, err
	}
	a, err := st.AliasByName(ctx, ref)
	if err == nil && a.GroupID != nil {
		return st.GroupByID(ctx, *a.GroupID)
	}
	if err == nil || tc.IsCode(err, tc.ENotFound) {
		return nil, notFound("config group %q not found", ref)
	}
	return nil, err
}

// resolveMembers turns member references (config ID, alias or name) into
// config IDs, in order, skipping duplicates. Errors: invalid.
func resolveMembers(ctx context.Context, st *store.Store, refs []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, ref := range refs {
		row, err := resolveConfig(ctx, st, ref)
		if tc.IsCode(err, tc.ENotFound) {
			row, err = st.ConfigByName(ctx, ref)
		}
		if tc.IsCode(err, tc.ENotFound) {
			return nil, tc.Errorf(tc.EInvalid, "member %q is not a config (groups hold configs only, by ID, alias or name)", ref).With("field", "members")
		}
		if err != nil {
			return nil, err
		}
		if !seen[row.ID] {
			seen[row.ID] = true
			out = append(out, row.ID)
		}
	}
	return out, nil
}

// refuseTwoRollouts refuses a group whose members would include two
// configs being rolled out: one rollout per group at a time (an agent on
// the group joining the stage of one while it has the other's new version
// would get a new rendering under an unchanged Last-Modified).
func refuseTwoRollouts(ctx context.Context, tx *store.Store, group string, members []string) error {
	busy, err := twoRollouts(ctx, tx, members)
	if err != nil || busy == nil {
		return err
	}
	return tc.Errorf(tc.EConflict, "configs %q and %q of group %q are both being rolled out (rollouts %s and %s): one rollout per group at a time; add the config when one of them completes or is aborted",
		busy[0].ConfigName, busy[1].ConfigName, group, busy[0].ID, busy[1].ID).With("field", "members")
}

// twoRollouts returns the first two of members' running or paused
// rollouts, in members' order (nil: fewer than two). Callers hold
// store.LockRolloutGroups for the answer to stand until they commit.
func twoRollouts(ctx context.Context, st *store.Store, members []string) ([]*store.RolloutRow, error) {
	var busy []*store.RolloutRow
	for _, id := range members {
		ro, err := st.ActiveRollout(ctx, id)
		if err != nil {
			return nil, err
		}
		if ro != nil {
			if busy = append(busy, ro); len(busy) == 2 {
				return busy, nil
			}
		}
	}
	return nil, nil
}

// CreateGroup stores a config group. Errors: invalid, conflict (name).
func (s *Service) CreateGroup(ctx context.Context, req tc.GroupRequest) (tc.ConfigGroup, error) {
	name, err := tc.CheckName("name", req.Name)
	if err != nil {
		return tc.ConfigGroup{}, err
	}
	if _, err := tc.CheckText("description", req.Description, tc.MaxDescriptionLen); err != nil {
		return tc.ConfigGroup{}, err
	}
	id := store.NewID()
	var warnings []tc.ConfigProblem
	err = s.write(ctx, func(tx *store.Store) error {
		if len(req.Members) > 1 {
			// refuseTwoRollouts and the members' insert are one step
			// for rollout starts.
			if err := tx.LockRolloutGroups(ctx); err != nil {
				return err
			}
		}
		if taken, err := tx.GroupNameTaken(ctx, name, ""); err != nil {
			return err
		} else if taken {
			return tc.Errorf(tc.EConflict, "a config group named %q already exists", name).With("field", "name")
		}
		members, err := resolveMembers(ctx, tx, req.Members)
		if err != nil {
			return err
		}
		if err := refuseTwoRollouts(ctx, tx, name, members); err != nil {
			return err
		}
		labels, err := resolveLabels(ctx, tx, req.Labels)
		if err != nil {
			return err
		}
		now := tx.Now()
		if err := tx.InsertGroup(ctx, &store.GroupRow{ID: id, Name: name, Description: req.Description, LastModified: s.unixNow(), CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		if err := tx.SetGroupMembers(ctx, id, members); err != nil {
			return err
		}
		if warnings, err = s.checkServing(ctx, tx, affected{groups: []string{id}}); err != nil {
			return err
		}
		return tx.LinkLabels(ctx, store.LinkGroups, []string{id}, labels)
	})
	if err != nil {
		return tc.ConfigGroup{}, err
	}
	g, err := s.GetGroup(ctx, id)
	g.Warnings = warnings
	return g, err
}

// GetGroup returns a group by ID or alias. Errors: not_found.
func (s *Service) GetGroup(ctx context.Context, ref string) (tc.ConfigGroup, error) {
	g, err := resolveGroup(ctx, s.st, ref)
	if err != nil {
		return tc.ConfigGroup{}, err
	}
	out, err := s.apiGroups(ctx, []store.GroupRow{*g})
	if err != nil {
		return tc.ConfigGroup{}, err
	}
	return out[0], nil
}

// ListGroups returns a page of groups. Errors: invalid (sort).
func (s *Service) ListGroups(ctx context.Context, f ConfigFilter) (tc.List[tc.ConfigGroup], error) {
	sf, err := storeFilter(f)
	if err != nil {
		return tc.List[tc.ConfigGroup]{}, err
	}
	rows, total, err := s.st.ListGroups(ctx, sf)
	if err != nil {
		return tc.List[tc.ConfigGroup]{}, err
	}
	items, err := s.apiGroups(ctx, rows)
	return tc.List[tc.ConfigGroup]{Items: items, Total: total, Limit: f.Limit, Offset: f.Offset}, err
}

func (s *Service) apiGroups(ctx context.Context, rows []store.GroupRow) ([]tc.ConfigGroup, error) {
	return apiGroupsOn(ctx, s.st, rows)
}

func apiGroupsOn(ctx context.Context, st *store.Store, rows []store.GroupRow) ([]tc.ConfigGroup, error) {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	members, err := st.GroupMembers(ctx, ids)
	if err != nil {
		return nil, err
	}
	labels, err := st.LabelsOf(ctx, store.LinkGroups, ids)
	if err != nil {
		return nil, err
	}
	aliases, err := st.AliasesOf(ctx, store.LinkGroups, ids)
	if err != nil {
		return nil, err
	}
	out := make([]tc.ConfigGroup, len(rows))
	for i, r := range rows {
		out[i] = tc.ConfigGroup{ID: r.ID, Name: r.Name, Description: r.Description, Members: nonNil(members[r.ID]),
			Labels: apiLabels(labels[r.ID]), Aliases: nonNil(aliases[r.ID]), LastModified: lmTime(r.LastModified),
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

// UpdateGroup changes name, description and/or the ordered members.
// Errors: not_found, invalid, conflict (name).
func (s *Service) UpdateGroup(ctx context.Context, ref string, req tc.UpdateGroupRequest) (tc.ConfigGroup, error) {
	cols := map[string]any{}
	var name string
	if req.Name != nil {
		n, err := tc.CheckName("name", *req.Name)
		if err != nil {
			return tc.ConfigGroup{}, err
		}
		name = n
	}
	if req.Description != nil {
		if _, err := tc.CheckText("description", *req.Description, tc.MaxDescriptionLen); err != nil {
			return tc.ConfigGroup{}, err
		}
		cols["description"] = *req.Description
	}
	var (
		id       string
		warnings []tc.ConfigProblem
		ah       *ahead
	)
	if req.Name != nil || req.Members != nil {
		// The group as it would be is rendered and checked before the
		// transaction (see checkAhead).
		g, err := resolveGroup(ctx, s.st, ref)
		if err != nil {
			return tc.ConfigGroup{}, err
		}
		var members []string
		if req.Members != nil {
			if members, err = resolveMembers(ctx, s.st, *req.Members); err != nil {
				return tc.ConfigGroup{}, err
			}
		}
		if ah, err = s.checkAhead(ctx, func(st *state) (affected, error) {
			sg := st.groups[g.ID]
			if sg == nil {
				return affected{}, nil
			}
			renamed := req.Name != nil && name != sg.Name
			moved := req.Members != nil && !equal(st.members[g.ID], members)
			if !renamed && !moved {
				return affected{}, nil // nothing served changes, nothing to check
			}
			if renamed {
				sg.Name = name
			}
			if moved {
				st.members[g.ID] = members
			}
			return affected{groups: []string{g.ID}}, nil
		}); err != nil {
			return tc.ConfigGroup{}, err
		}
	}
	err := s.write(ctx, func(tx *store.Store) error {
		if req.Members != nil && len(*req.Members) > 1 {
			// Before the table locks of ah.still: see
			// store.LockRolloutGroups.
			if err := tx.LockRolloutGroups(ctx); err != nil {
				return err
			}
		}
		fresh, err := ah.still(ctx, tx)
		if err != nil {
			return err
		}
		g, err := resolveGroup(ctx, tx, ref)
		if err != nil {
			return err
		}
		if g, err = s.guardGroup(ctx, tx, g); err != nil {
			return err
		}
		id = g.ID
		changed := false
		if req.Name != nil && name != g.Name {
			if taken, err := tx.GroupNameTaken(ctx, name, g.ID); err != nil {
				return err
			} else if taken {
				return tc.Errorf(tc.EConflict, "a config group named %q already exists", name).With("field", "name")
			}
			cols["name"] = name
			changed = true // the name is in the members' header comments
		}
		if req.Members != nil {
			members, err := resolveMembers(ctx, tx, *req.Members)
			if err != nil {
				return err
			}
			if err := refuseTwoRollouts(ctx, tx, g.Name, members); err != nil {
				return err
			}
			old, err := tx.GroupMembers(ctx, []string{g.ID})
			if err != nil {
				return err
			}
			if !equal(old[g.ID], members) {
				if err := tx.SetGroupMembers(ctx, g.ID, members); err != nil {
					return err
				}
				changed = true
			}
		}
		if changed {
			if err := tx.BumpGroups(ctx, []string{g.ID}, s.unixNow()); err != nil {
				return err
			}
		}
		if len(cols) == 0 && !changed {
			return nil
		}
		if err := tx.UpdateGroup(ctx, g.ID, cols); err != nil {
			return err
		}
		if changed && fresh {
			warnings = ah.warnings
		} else if changed {
			warnings, err = s.checkServing(ctx, tx, affected{groups: []string{g.ID}})
		}
		return err
	})
	if err != nil {
		return tc.ConfigGroup{}, err
	}
	out, err := s.GetGroup(ctx, id)
	out.Warnings = warnings
	return out, err
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// DeleteGroup deletes a group and its aliases (not its members).
// Errors: not_found.
func (s *Service) DeleteGroup(ctx context.Context, ref string) error {
	return s.write(ctx, func(tx *store.Store) error {
		g, err := resolveGroup(ctx, tx, ref)
		if err != nil {
			return err
		}
		if _, err := s.guardGroup(ctx, tx, g); err != nil {
			return err
		}
		return tx.DeleteGroup(ctx, g.ID)
	})
}
