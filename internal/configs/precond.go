package configs

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/precond"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// The guards below enforce a request's If-Match inside its write's
// transaction: they lock the row (PostgreSQL), read the object again and
// compare its ETag. Without If-Match they do nothing.

// guardConfig returns the config as it is now, or 412.
func (s *Service) guardConfig(ctx context.Context, tx *store.Store, row *store.ConfigRow) (*store.ConfigRow, error) {
	if !precond.Wanted(ctx) {
		return row, nil
	}
	if err := tx.LockRow(ctx, "configs", "id", row.ID); err != nil {
		return nil, err
	}
	fresh, err := tx.ConfigByID(ctx, row.ID)
	if tc.IsCode(err, tc.ENotFound) {
		return nil, precond.Check(ctx, fmt.Sprintf("config %q", row.Name), "", false)
	}
	if err != nil {
		return nil, err
	}
	out, err := apiConfigsOn(ctx, tx, []store.ConfigRow{*fresh})
	if err != nil {
		return nil, err
	}
	return fresh, precond.Check(ctx, fmt.Sprintf("config %q", fresh.Name), precond.Config(out[0]), true)
}

// guardGroup returns the group as it is now, or 412.
func (s *Service) guardGroup(ctx context.Context, tx *store.Store, g *store.GroupRow) (*store.GroupRow, error) {
	if !precond.Wanted(ctx) {
		return g, nil
	}
	if err := tx.LockRow(ctx, "config_groups", "id", g.ID); err != nil {
		return nil, err
	}
	fresh, err := tx.GroupByID(ctx, g.ID)
	if tc.IsCode(err, tc.ENotFound) {
		return nil, precond.Check(ctx, fmt.Sprintf("config group %q", g.Name), "", false)
	}
	if err != nil {
		return nil, err
	}
	out, err := apiGroupsOn(ctx, tx, []store.GroupRow{*fresh})
	if err != nil {
		return nil, err
	}
	return fresh, precond.Check(ctx, fmt.Sprintf("config group %q", fresh.Name), precond.Group(out[0]), true)
}

// guardConstant checks a constant (old nil: it does not exist).
func guardConstant(ctx context.Context, tx *store.Store, name string) error {
	if !precond.Wanted(ctx) {
		return nil
	}
	if err := tx.LockRow(ctx, "constants", "name", name); err != nil {
		return err
	}
	r, err := tx.ConstantByName(ctx, name)
	if tc.IsCode(err, tc.ENotFound) {
		return precond.Check(ctx, fmt.Sprintf("constant %q", name), "", false)
	}
	if err != nil {
		return err
	}
	return precond.Check(ctx, fmt.Sprintf("constant %q", name), precond.Constant(apiConstant(r, nil)), true)
}

// guardAlias checks an alias.
func guardAlias(ctx context.Context, tx *store.Store, alias string) error {
	if !precond.Wanted(ctx) {
		return nil
	}
	if err := tx.LockRow(ctx, "aliases", "alias", alias); err != nil {
		return err
	}
	a, err := tx.AliasByName(ctx, alias)
	if tc.IsCode(err, tc.ENotFound) {
		return precond.Check(ctx, fmt.Sprintf("alias %q", alias), "", false)
	}
	if err != nil {
		return err
	}
	return precond.Check(ctx, fmt.Sprintf("alias %q", alias), precond.Alias(apiAlias(a)), true)
}

// guardLabel checks a label and returns it as it is now.
func guardLabel(ctx context.Context, tx *store.Store, l *store.LabelRow) (*store.LabelRow, error) {
	if !precond.Wanted(ctx) {
		return l, nil
	}
	if err := tx.LockRow(ctx, "labels", "id", l.ID); err != nil {
		return nil, err
	}
	fresh, err := tx.LabelByRef(ctx, l.ID)
	if tc.IsCode(err, tc.ENotFound) {
		return nil, precond.Check(ctx, fmt.Sprintf("label %q", l.Name), "", false)
	}
	if err != nil {
		return nil, err
	}
	return fresh, precond.Check(ctx, fmt.Sprintf("label %q", fresh.Name), precond.Label(fresh.API()), true)
}
