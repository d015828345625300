package configs

import (
	"context"

	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// referencing returns the IDs of the configs whose TOML references name.
func referencing(ctx context.Context, st *store.Store, name string) ([]string, error) {
	rows, err := st.ConfigTemplates(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, r := range rows {
		if render.References(r.TOML, name) {
			out = append(out, r.ID)
		}
	}
	return out, nil
}

// ListConstants returns every constant with the configs using it.
func (s *Service) ListConstants(ctx context.Context) ([]tc.Constant, error) {
	rows, err := s.st.ListConstants(ctx)
	if err != nil {
		return nil, err
	}
	tmpls, err := s.st.ConfigTemplates(ctx)
	if err != nil {
		return nil, err
	}
	used := map[string][]string{}
	for _, t := range tmpls {
		for _, n := range render.Constants(t.TOML) {
			used[n] = append(used[n], t.ID)
		}
	}
	out := make([]tc.Constant, len(rows))
	for i, r := range rows {
		out[i] = apiConstant(&r, used[r.Name])
	}
	return out, nil
}

func apiConstant(r *store.ConstantRow, usedBy []string) tc.Constant {
	return tc.Constant{Name: r.Name, Value: r.Value, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), UsedBy: nonNil(usedBy)}
}

// GetConstant returns one constant. Errors: not_found.
func (s *Service) GetConstant(ctx context.Context, name string) (tc.Constant, error) {
	r, err := s.st.ConstantByName(ctx, name)
	if err != nil {
		return tc.Constant{}, err
	}
	used, err := referencing(ctx, s.st, name)
	if err != nil {
		return tc.Constant{}, err
	}
	return apiConstant(r, used), nil
}

// SetConstant creates (mustCreate: only creates) or updates a constant. A
// new value moves the Last-Modified of every config that references it and
// of the groups holding those, and of nothing else. Errors: invalid,
// conflict (mustCreate and it exists).
func (s *Service) SetConstant(ctx context.Context, name, value string, mustCreate bool) (tc.Constant, bool, error) {
	if err := tc.CheckConstantName(name); err != nil {
		return tc.Constant{}, false, err
	}
	if err := tc.CheckConstantValue(value); err != nil {
		return tc.Constant{}, false, err
	}
	var (
		created  bool
		warnings []tc.ConfigProblem
	)
	// Every config that references the constant, and every group holding
	// one, is checked with the new value before the transaction.
	ah, err := s.checkAhead(ctx, func(next *state) (affected, error) {
		if old, ok := next.constants[name]; ok && old == value {
			return affected{}, nil // nothing changes, nothing to check
		}
		next.constants[name] = value
		var ids []string
		for _, id := range sortedKeysOf(next.configs) {
			if render.References(next.configs[id].TOML, name) {
				ids = append(ids, id)
			}
		}
		return affected{configs: ids}, nil
	})
	if err != nil {
		return tc.Constant{}, false, err
	}
	err = s.write(ctx, func(tx *store.Store) error {
		fresh, err := ah.still(ctx, tx)
		if err != nil {
			return err
		}
		if err := guardConstant(ctx, tx, name); err != nil {
			return err
		}
		old, err := tx.ConstantByName(ctx, name)
		switch {
		case err == nil && mustCreate:
			return tc.Errorf(tc.EConflict, "constant %q already exists; change it with PUT /api/constants/%s", name, name)
		case err == nil && old.Value == value:
			return nil
		case err != nil && !tc.IsCode(err, tc.ENotFound):
			return err
		}
		if created, err = tx.SetConstant(ctx, name, value); err != nil {
			return err
		}
		ids, err := referencing(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := bumpConfigs(ctx, tx, s.unixNow(), ids...); err != nil {
			return err
		}
		if fresh {
			warnings = ah.warnings
			return nil
		}
		warnings, err = s.checkServing(ctx, tx, affected{configs: ids})
		return err
	})
	if err != nil {
		return tc.Constant{}, false, err
	}
	c, err := s.GetConstant(ctx, name)
	c.Warnings = warnings
	return c, created, err
}

// DeleteConstant deletes a constant no config references.
// Errors: not_found, conflict (referenced; "usedBy" lists the configs).
func (s *Service) DeleteConstant(ctx context.Context, name string) error {
	return s.write(ctx, func(tx *store.Store) error {
		if _, err := tx.ConstantByName(ctx, name); err != nil {
			return err
		}
		if err := guardConstant(ctx, tx, name); err != nil {
			return err
		}
		ids, err := referencing(ctx, tx, name)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			return tc.Errorf(tc.EConflict, "constant %q is referenced by %d config(s); remove ::{%s} from them first", name, len(ids), name).With("usedBy", ids)
		}
		return tx.DeleteConstant(ctx, name)
	})
}
