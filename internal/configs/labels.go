package configs

import (
	"context"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Label targets.
const (
	KindConfig = store.LinkConfigs
	KindGroup  = store.LinkGroups
)

// ListLabels returns labels sorted by name.
func (s *Service) ListLabels(ctx context.Context, search string, p tc.Page) (tc.List[tc.Label], error) {
	rows, total, err := s.st.ListLabels(ctx, search, p)
	if err != nil {
		return tc.List[tc.Label]{}, err
	}
	return tc.List[tc.Label]{Items: apiLabels(rows), Total: total, Limit: p.Limit, Offset: p.Offset}, nil
}

// GetLabel returns a label by ID or name. Errors: not_found.
func (s *Service) GetLabel(ctx context.Context, ref string) (tc.Label, error) {
	l, err := s.st.LabelByRef(ctx, ref)
	if err != nil {
		return tc.Label{}, err
	}
	return l.API(), nil
}

func checkLabel(name, desc, color *string) (map[string]any, error) {
	cols := map[string]any{}
	if name != nil {
		n, err := tc.CheckName("name", *name)
		if err != nil {
			return nil, err
		}
		cols["name"] = n
	}
	if desc != nil {
		if _, err := tc.CheckText("description", *desc, tc.MaxDescriptionLen); err != nil {
			return nil, err
		}
		cols["description"] = *desc
	}
	if color != nil && *color != "" {
		c, err := tc.CheckColor(*color)
		if err != nil {
			return nil, err
		}
		cols["color"] = c
	}
	return cols, nil
}

// CreateLabel stores a label. Errors: invalid, conflict (name).
func (s *Service) CreateLabel(ctx context.Context, req tc.LabelRequest) (tc.Label, error) {
	cols, err := checkLabel(&req.Name, &req.Description, &req.Color)
	if err != nil {
		return tc.Label{}, err
	}
	row := &store.LabelRow{Name: cols["name"].(string), Description: req.Description}
	if c, ok := cols["color"].(string); ok {
		row.Color = c
	}
	if err := s.st.InsertLabel(ctx, row); err != nil {
		return tc.Label{}, err
	}
	return row.API(), nil
}

// UpdateLabel changes a label. Errors: not_found, invalid, conflict (name).
func (s *Service) UpdateLabel(ctx context.Context, ref string, req tc.UpdateLabelRequest) (tc.Label, error) {
	cols, err := checkLabel(req.Name, req.Description, req.Color)
	if err != nil {
		return tc.Label{}, err
	}
	var id string
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		l, err := tx.LabelByRef(ctx, ref)
		if err != nil {
			return err
		}
		if l, err = guardLabel(ctx, tx, l); err != nil {
			return err
		}
		id = l.ID
		if len(cols) > 0 {
			return tx.UpdateLabel(ctx, l.ID, cols)
		}
		return nil
	})
	if err != nil {
		return tc.Label{}, err
	}
	return s.GetLabel(ctx, id)
}

// DeleteLabel deletes a label and all its assignments. Errors: not_found.
func (s *Service) DeleteLabel(ctx context.Context, ref string) error {
	return s.st.Tx(ctx, func(tx *store.Store) error {
		l, err := tx.LabelByRef(ctx, ref)
		if err != nil {
			return err
		}
		if _, err := guardLabel(ctx, tx, l); err != nil {
			return err
		}
		return tx.DeleteLabel(ctx, l.ID)
	})
}

// SetLabels assigns (assign=true) or removes labels on configs or groups
// (kind KindConfig or KindGroup); targets are IDs or aliases, labels IDs
// or names. Errors: not_found, invalid.
func (s *Service) SetLabels(ctx context.Context, kind string, assign bool, req tc.BulkLabelsRequest) error {
	if len(req.IDs) == 0 || len(req.LabelIDs) == 0 {
		return tc.Errorf(tc.EInvalid, "ids and labelIds must each name at least one item")
	}
	return s.st.Tx(ctx, func(tx *store.Store) error {
		var owners []string
		for _, ref := range req.IDs {
			if kind == KindGroup {
				g, err := resolveGroup(ctx, tx, ref)
				if err != nil {
					return err
				}
				owners = append(owners, g.ID)
				continue
			}
			c, err := resolveConfig(ctx, tx, ref)
			if err != nil {
				return err
			}
			owners = append(owners, c.ID)
		}
		var labels []string
		for _, ref := range req.LabelIDs {
			l, err := tx.LabelByRef(ctx, ref)
			if err != nil {
				return err
			}
			labels = append(labels, l.ID)
		}
		if assign {
			return tx.LinkLabels(ctx, kind, owners, labels)
		}
		return tx.UnlinkLabels(ctx, kind, owners, labels)
	})
}
