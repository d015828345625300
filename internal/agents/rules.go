package agents

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/precond"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Rules lists every reporting rule with its agent count.
func (s *Service) Rules(ctx context.Context) (tc.List[tc.ReportingRule], error) {
	rules, counts, err := s.st.Rules(ctx)
	if err != nil {
		return tc.List[tc.ReportingRule]{}, err
	}
	items := make([]tc.ReportingRule, len(rules))
	for i := range rules {
		items[i] = rules[i].API(counts[rules[i].ID])
	}
	return tc.List[tc.ReportingRule]{Items: items, Total: len(items), Limit: len(items), Offset: 0}, nil
}

// Rule returns one rule by ID or name.
func (s *Service) Rule(ctx context.Context, ref string) (tc.ReportingRule, error) {
	r, n, err := s.st.RuleByRef(ctx, ref)
	if err != nil {
		return tc.ReportingRule{}, err
	}
	return r.API(n), nil
}

func checkSeconds(field string, v int64) error {
	if v < 1 || v > tc.RuleSecondsMax {
		return tc.Errorf(tc.EInvalid, "%s must be a number of seconds from 1 to %d (got %d)", field, tc.RuleSecondsMax, v).With("field", field)
	}
	return nil
}

// CreateRule adds a rule; isDefault makes it the default.
func (s *Service) CreateRule(ctx context.Context, req tc.ReportingRuleRequest) (tc.ReportingRule, error) {
	if req.Name == nil {
		return tc.ReportingRule{}, tc.Errorf(tc.EInvalid, "name is required").With("field", "name")
	}
	name, err := tc.CheckName("name", *req.Name)
	if err != nil {
		return tc.ReportingRule{}, err
	}
	r := &store.ReportingRule{Name: name}
	if req.Description != nil {
		if r.Description, err = tc.CheckText("description", *req.Description, tc.RuleDescriptionMax); err != nil {
			return tc.ReportingRule{}, err
		}
	}
	if req.NotReportingAfter == nil {
		return tc.ReportingRule{}, tc.Errorf(tc.EInvalid, "notReportingAfter (seconds) is required").With("field", "notReportingAfter")
	}
	if err := checkSeconds("notReportingAfter", *req.NotReportingAfter); err != nil {
		return tc.ReportingRule{}, err
	}
	r.NotReportingAfter = *req.NotReportingAfter
	if req.AutoDeleteAfter != nil && *req.AutoDeleteAfter != 0 {
		if err := checkSeconds("autoDeleteAfter", *req.AutoDeleteAfter); err != nil {
			return tc.ReportingRule{}, err
		}
		r.AutoDeleteAfter = req.AutoDeleteAfter
	}
	r.IsDefault = req.IsDefault != nil && *req.IsDefault
	err = s.st.Tx(ctx, func(tx *store.Store) error { return tx.CreateRule(ctx, r) })
	if err != nil {
		return tc.ReportingRule{}, err
	}
	return r.API(0), nil
}

// UpdateRule changes a rule. Unsetting isDefault on the default is refused
// (make another rule the default instead).
func (s *Service) UpdateRule(ctx context.Context, ref string, req tc.ReportingRuleRequest) (tc.ReportingRule, error) {
	var out tc.ReportingRule
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		r, _, err := tx.RuleByRef(ctx, ref)
		if err != nil {
			return err
		}
		if r, err = guardRule(ctx, tx, r); err != nil {
			return err
		}
		cols := map[string]any{}
		if req.Name != nil {
			name, err := tc.CheckName("name", *req.Name)
			if err != nil {
				return err
			}
			if err := tx.CheckRuleName(ctx, name, r.ID); err != nil {
				return err
			}
			cols["name"] = name
		}
		if req.Description != nil {
			d, err := tc.CheckText("description", *req.Description, tc.RuleDescriptionMax)
			if err != nil {
				return err
			}
			cols["description"] = d
		}
		if req.NotReportingAfter != nil {
			if err := checkSeconds("notReportingAfter", *req.NotReportingAfter); err != nil {
				return err
			}
			cols["not_reporting_after"] = *req.NotReportingAfter
		}
		if req.AutoDeleteAfter != nil {
			if *req.AutoDeleteAfter == 0 {
				cols["auto_delete_after"] = nil
			} else {
				if err := checkSeconds("autoDeleteAfter", *req.AutoDeleteAfter); err != nil {
					return err
				}
				cols["auto_delete_after"] = *req.AutoDeleteAfter
			}
		}
		if req.IsDefault != nil {
			if !*req.IsDefault && r.IsDefault {
				return tc.Errorf(tc.EConflict, "%q is the default rule: make another rule the default instead (tcctl rule set-default)", r.Name)
			}
			if *req.IsDefault {
				cols["is_default"] = true
			}
		}
		if len(cols) == 0 {
			return tc.Errorf(tc.EInvalid, "nothing to change")
		}
		if err := tx.UpdateRule(ctx, r.ID, cols); err != nil {
			return err
		}
		r2, n, err := tx.RuleByRef(ctx, r.ID)
		if err != nil {
			return err
		}
		out = r2.API(n)
		return nil
	})
	return out, err
}

// SetDefaultRule makes a rule the default for new agents.
func (s *Service) SetDefaultRule(ctx context.Context, ref string) (tc.ReportingRule, error) {
	t := true
	return s.UpdateRule(ctx, ref, tc.ReportingRuleRequest{IsDefault: &t})
}

// DeleteRule deletes a rule and moves its agents to the default rule; the
// default rule itself cannot be deleted.
func (s *Service) DeleteRule(ctx context.Context, ref string) (moved int, err error) {
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		r, _, err := tx.RuleByRef(ctx, ref)
		if err != nil {
			return err
		}
		if r, err = guardRule(ctx, tx, r); err != nil {
			return err
		}
		if r.IsDefault {
			return tc.Errorf(tc.EConflict, "%q is the default rule and cannot be deleted: make another rule the default first", r.Name)
		}
		def, err := tx.DefaultRule(ctx)
		if err != nil {
			return err
		}
		n, err := tx.DeleteRule(ctx, r.ID, def.ID)
		moved = int(n)
		return err
	})
	return moved, err
}

// guardRule enforces the request's If-Match on a rule inside the write's
// transaction and returns the rule as it is now.
func guardRule(ctx context.Context, tx *store.Store, r *store.ReportingRule) (*store.ReportingRule, error) {
	if !precond.Wanted(ctx) {
		return r, nil
	}
	if err := tx.LockRow(ctx, "reporting_rules", "id", r.ID); err != nil {
		return nil, err
	}
	fresh, n, err := tx.RuleByRef(ctx, r.ID)
	if tc.IsCode(err, tc.ENotFound) {
		return nil, precond.Check(ctx, fmt.Sprintf("reporting rule %q", r.Name), "", false)
	}
	if err != nil {
		return nil, err
	}
	return fresh, precond.Check(ctx, fmt.Sprintf("reporting rule %q", fresh.Name), precond.Rule(fresh.API(n)), true)
}
