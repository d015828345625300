package configs

import (
	"context"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

func apiAlias(a *store.AliasRow) tc.Alias {
	out := tc.Alias{Alias: a.Alias}
	if a.ConfigID != nil {
		out.ConfigID = *a.ConfigID
	}
	if a.GroupID != nil {
		out.GroupID = *a.GroupID
	}
	return out
}

// ListAliases returns every alias.
func (s *Service) ListAliases(ctx context.Context) ([]tc.Alias, error) {
	rows, err := s.st.ListAliases(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]tc.Alias, len(rows))
	for i := range rows {
		out[i] = apiAlias(&rows[i])
	}
	return out, nil
}

// GetAlias returns one alias. Errors: not_found.
func (s *Service) GetAlias(ctx context.Context, alias string) (tc.Alias, error) {
	a, err := s.st.AliasByName(ctx, alias)
	if err != nil {
		return tc.Alias{}, err
	}
	return apiAlias(a), nil
}

// PutAlias points alias at a config or group (by ID, alias or, for configs,
// name). An alias owned by another target moves only with req.Transfer; the
// new target's Last-Modified moves, since /c/{alias} now serves it.
// Errors: invalid, not_found (target), conflict (owned elsewhere, or equal
// to a config or group ID).
func (s *Service) PutAlias(ctx context.Context, alias string, req tc.AliasRequest) (tc.Alias, error) {
	if err := tc.CheckAlias(alias); err != nil {
		return tc.Alias{}, err
	}
	if (req.ConfigID == "") == (req.GroupID == "") {
		return tc.Alias{}, tc.Errorf(tc.EInvalid, "give exactly one of configId and groupId")
	}
	var out tc.Alias
	err := s.write(ctx, func(tx *store.Store) error {
		if err := guardAlias(ctx, tx, alias); err != nil {
			return err
		}
		if _, err := tx.ConfigByID(ctx, alias); err == nil {
			return tc.Errorf(tc.EConflict, "%q is the ID of a config; choose another alias", alias).With("field", "alias")
		}
		if _, err := tx.GroupByID(ctx, alias); err == nil {
			return tc.Errorf(tc.EConflict, "%q is the ID of a config group; choose another alias", alias).With("field", "alias")
		}
		row := &store.AliasRow{Alias: alias}
		if req.ConfigID != "" {
			c, err := resolveConfig(ctx, tx, req.ConfigID)
			if tc.IsCode(err, tc.ENotFound) {
				c, err = tx.ConfigByName(ctx, req.ConfigID)
			}
			if err != nil {
				return err
			}
			row.ConfigID = &c.ID
		} else {
			g, err := resolveGroup(ctx, tx, req.GroupID)
			if err != nil {
				return err
			}
			row.GroupID = &g.ID
		}
		old, err := tx.AliasByName(ctx, alias)
		switch {
		case err == nil:
			if same(old.ConfigID, row.ConfigID) && same(old.GroupID, row.GroupID) {
				out = apiAlias(old)
				return nil
			}
			if !req.Transfer {
				cur := apiAlias(old)
				return tc.Errorf(tc.EConflict, "alias %q already points to another %s; pass transfer=true to move it", alias, kindOf(cur)).
					With("configId", cur.ConfigID).With("groupId", cur.GroupID)
			}
		case !tc.IsCode(err, tc.ENotFound):
			return err
		}
		if err := tx.PutAlias(ctx, row); err != nil {
			return err
		}
		now := s.unixNow()
		var a affected
		if row.ConfigID != nil {
			if err := tx.BumpConfigs(ctx, []string{*row.ConfigID}, now); err != nil {
				return err
			}
			a.configs = []string{*row.ConfigID}
		} else {
			if err := tx.BumpGroups(ctx, []string{*row.GroupID}, now); err != nil {
				return err
			}
			a.groups = []string{*row.GroupID}
		}
		// /c/{alias} serves the new target from now on: it must load.
		if _, err := s.checkServing(ctx, tx, a); err != nil {
			return err
		}
		out = apiAlias(row)
		return nil
	})
	return out, err
}

func kindOf(a tc.Alias) string {
	if a.GroupID != "" {
		return "config group"
	}
	return "config"
}

func same(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// DeleteAlias removes an alias. Errors: not_found.
func (s *Service) DeleteAlias(ctx context.Context, alias string) error {
	return s.write(ctx, func(tx *store.Store) error {
		if _, err := tx.AliasByName(ctx, alias); err != nil {
			return err
		}
		if err := guardAlias(ctx, tx, alias); err != nil {
			return err
		}
		return tx.DeleteAlias(ctx, alias)
	})
}
