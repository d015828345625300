package notify

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// ruleRow is a row of notify_rules.
type ruleRow struct {
	ID             string `gorm:"primaryKey"`
	Name           string
	Description    string
	Event          string
	Scope          string
	Selector       string
	ForS           int64 `gorm:"column:for_s"`
	GroupBy        string
	GroupWindow    int64
	GroupInterval  int64
	RepeatInterval int64
	SendResolved   bool
	Days           int
	Enabled        bool
	EvaluatedMs    int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (ruleRow) TableName() string { return "notify_rules" }

func (r *ruleRow) api(receivers []string) tc.NotifyRule {
	if receivers == nil {
		receivers = []string{}
	}
	return tc.NotifyRule{ID: r.ID, Name: r.Name, Description: r.Description, Event: r.Event, Scope: r.Scope, Selector: r.Selector,
		For: r.ForS, GroupBy: r.GroupBy, GroupWindow: r.GroupWindow, GroupInterval: r.GroupInterval, RepeatInterval: r.RepeatInterval,
		SendResolved: r.SendResolved, Days: r.Days, Receivers: receivers, Enabled: r.Enabled, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Rule defaults and limits (seconds).
const (
	DefaultGroupWindow    = 30
	DefaultGroupInterval  = 5 * 60
	DefaultRepeatInterval = 4 * 60 * 60
	DefaultTokenDays      = 14
	maxDuration           = 30 * 24 * 60 * 60
	maxRuleReceivers      = 20
)

// scopesFor lists the scopes a kind accepts, the default first.
func scopesFor(kind string) []string {
	switch {
	case strings.HasPrefix(kind, "agent."):
		return []string{tc.ScopeAgents, tc.ScopeConfigs, tc.ScopeAll}
	case strings.HasPrefix(kind, "rollout."):
		return []string{tc.ScopeConfigs, tc.ScopeAll}
	case kind == tc.EventAdvisoryMatched:
		return []string{tc.ScopeConfigs, tc.ScopeAgents, tc.ScopeAll}
	}
	return []string{tc.ScopeAll} // tokens, the audit log
}

func validKind(k string) bool {
	for _, v := range tc.EventKinds {
		if v == k {
			return true
		}
	}
	return false
}

func checkSeconds(field string, v int64, min int64) error {
	if v < min || v > maxDuration {
		return invalid(field, "%s must be from %d to %d seconds (30 days)", field, min, maxDuration)
	}
	return nil
}

// applyRule validates req onto row; it returns the receiver references to
// resolve (nil: unchanged).
func applyRule(row *ruleRow, req tc.NotifyRuleRequest, create bool) ([]string, error) {
	if create {
		if req.Name == nil {
			return nil, invalid("name", "name is required")
		}
		if req.Event == nil {
			return nil, invalid("event", "event is required: one of %s", strings.Join(tc.EventKinds, ", "))
		}
		if req.Receivers == nil || len(*req.Receivers) == 0 {
			return nil, invalid("receivers", "receivers is required: at least one receiver (tcctl notify receiver list)")
		}
		row.GroupWindow, row.GroupInterval, row.RepeatInterval = DefaultGroupWindow, DefaultGroupInterval, DefaultRepeatInterval
		row.SendResolved, row.Enabled = true, true
	}
	if req.Name != nil {
		n, err := tc.CheckName("name", *req.Name)
		if err != nil {
			return nil, err
		}
		row.Name = n
	}
	if req.Description != nil {
		d, err := tc.CheckText("description", *req.Description, tc.MaxDescriptionLen)
		if err != nil {
			return nil, err
		}
		row.Description = d
	}
	if req.Event != nil {
		k := strings.ToLower(strings.TrimSpace(*req.Event))
		if !validKind(k) {
			return nil, invalid("event", "unknown event %q: use one of %s", *req.Event, strings.Join(tc.EventKinds, ", "))
		}
		if k != row.Event && row.Event != "" && req.Scope == nil {
			row.Scope = "" // the old kind's scope may not fit the new one
		}
		row.Event = k
	}
	scopes := scopesFor(row.Event)
	if req.Scope != nil {
		row.Scope = strings.ToLower(strings.TrimSpace(*req.Scope))
	}
	if row.Scope == "" {
		row.Scope = scopes[0]
	}
	ok := false
	for _, v := range scopes {
		ok = ok || v == row.Scope
	}
	if !ok {
		return nil, invalid("scope", "scope %q does not fit %s: use one of %s", row.Scope, row.Event, strings.Join(scopes, ", "))
	}
	if req.Selector != nil {
		row.Selector = strings.TrimSpace(*req.Selector)
	}
	if _, err := ParseSelector(row.Selector); err != nil {
		return nil, err
	}
	if row.Scope == tc.ScopeAll && row.Selector != "" {
		return nil, invalid("selector", "scope all takes no selector: set scope agents or configs to select by labels")
	}
	if req.For != nil {
		if err := checkSeconds("for", *req.For, 0); err != nil {
			return nil, err
		}
		row.ForS = *req.For
	}
	if row.ForS != 0 && !tc.ConditionEvent(row.Event) {
		return nil, invalid("for", "for (a minimum duration) applies to conditions only (%s, %s, %s, %s)",
			tc.EventAgentNotReporting, tc.EventAgentFail, tc.EventAgentWarn, tc.EventAgentUnmanagedConfig)
	}
	if req.GroupBy != nil {
		g := strings.TrimSpace(*req.GroupBy)
		if g != "" {
			if err := checkKey(g); err != nil {
				return nil, invalid("groupBy", "groupBy: %s", err.Error())
			}
		}
		row.GroupBy = g
	}
	if row.GroupBy != "" && row.Scope == tc.ScopeAll && scopes[0] == tc.ScopeAll {
		return nil, invalid("groupBy", "%s events carry no labels to group by", row.Event)
	}
	for _, d := range []struct {
		field string
		in    *int64
		out   *int64
		min   int64
	}{{"groupWindow", req.GroupWindow, &row.GroupWindow, 0}, {"groupInterval", req.GroupInterval, &row.GroupInterval, 1},
		{"repeatInterval", req.RepeatInterval, &row.RepeatInterval, 0}} {
		if d.in != nil {
			if err := checkSeconds(d.field, *d.in, d.min); err != nil {
				return nil, err
			}
			*d.out = *d.in
		}
	}
	if req.SendResolved != nil {
		row.SendResolved = *req.SendResolved
	}
	if req.Days != nil {
		if row.Event != tc.EventTokenExpiring {
			return nil, invalid("days", "days applies to %s only", tc.EventTokenExpiring)
		}
		if *req.Days < 1 || *req.Days > 365 {
			return nil, invalid("days", "days must be from 1 to 365")
		}
		row.Days = *req.Days
	}
	if row.Event == tc.EventTokenExpiring && row.Days == 0 {
		row.Days = DefaultTokenDays
	} else if row.Event != tc.EventTokenExpiring {
		row.Days = 0
	}
	if req.Enabled != nil {
		row.Enabled = *req.Enabled
	}
	if req.Receivers == nil {
		return nil, nil
	}
	refs := *req.Receivers
	if len(refs) == 0 || len(refs) > maxRuleReceivers {
		return nil, invalid("receivers", "a rule needs 1 to %d receivers", maxRuleReceivers)
	}
	return refs, nil
}

// setReceivers replaces the rule's receivers by refs (IDs or names).
func (s *Service) setReceivers(ctx context.Context, db *gorm.DB, ruleID string, refs []string) error {
	seen := map[string]bool{}
	var ids []string
	for _, ref := range refs {
		r, err := s.receiverByRef(ctx, db, strings.TrimSpace(ref))
		if err != nil {
			return tc.Errorf(tc.EInvalid, "unknown receiver %q: create it first (tcctl notify receiver create)", ref).With("field", "receivers")
		}
		if !seen[r.ID] {
			seen[r.ID] = true
			ids = append(ids, r.ID)
		}
	}
	if err := db.Exec("DELETE FROM notify_rule_receivers WHERE rule_id = ?", ruleID).Error; err != nil {
		return err
	}
	for _, id := range ids {
		if err := db.Exec("INSERT INTO notify_rule_receivers (rule_id, receiver_id) VALUES (?, ?)", ruleID, id).Error; err != nil {
			return err
		}
	}
	return nil
}

// ruleReceivers returns the receiver IDs of each rule.
func ruleReceivers(ctx context.Context, db *gorm.DB, ruleIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ruleIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		RuleID     string
		ReceiverID string
	}
	err := db.WithContext(ctx).Raw(`SELECT rr.rule_id, rr.receiver_id FROM notify_rule_receivers rr JOIN notify_receivers r ON r.id = rr.receiver_id
		WHERE rr.rule_id IN ? ORDER BY r.name`, ruleIDs).Scan(&rows).Error
	for _, r := range rows {
		out[r.RuleID] = append(out[r.RuleID], r.ReceiverID)
	}
	return out, err
}

func (s *Service) ruleByRef(ctx context.Context, db *gorm.DB, ref string) (*ruleRow, error) {
	var r ruleRow
	err := db.WithContext(ctx).Where("id = ?", ref).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		err = db.WithContext(ctx).Where("name = ?", ref).Take(&r).Error
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, tc.Errorf(tc.ENotFound, "notification rule %q not found (tcctl notify rule list shows them)", ref)
	}
	return &r, err
}

// ListRules returns every rule, by name.
func (s *Service) ListRules(ctx context.Context) (tc.List[tc.NotifyRule], error) {
	var rows []ruleRow
	db := s.st.Gorm(ctx)
	if err := db.Order("name").Find(&rows).Error; err != nil {
		return tc.List[tc.NotifyRule]{}, err
	}
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	recv, err := ruleReceivers(ctx, db, ids)
	if err != nil {
		return tc.List[tc.NotifyRule]{}, err
	}
	out := make([]tc.NotifyRule, len(rows))
	for i := range rows {
		out[i] = rows[i].api(recv[rows[i].ID])
	}
	return tc.List[tc.NotifyRule]{Items: out, Total: len(out), Limit: len(out)}, nil
}

// GetRule returns a rule by ID or name. Errors: not_found.
func (s *Service) GetRule(ctx context.Context, ref string) (tc.NotifyRule, error) {
	db := s.st.Gorm(ctx)
	r, err := s.ruleByRef(ctx, db, ref)
	if err != nil {
		return tc.NotifyRule{}, err
	}
	recv, err := ruleReceivers(ctx, db, []string{r.ID})
	return r.api(recv[r.ID]), err
}

// CreateRule stores a rule; it considers events from now on. Errors:
// invalid, conflict (name).
func (s *Service) CreateRule(ctx context.Context, req tc.NotifyRuleRequest) (tc.NotifyRule, error) {
	row := ruleRow{}
	refs, err := applyRule(&row, req, true)
	if err != nil {
		return tc.NotifyRule{}, err
	}
	row.ID = store.NewID()
	row.CreatedAt, row.UpdatedAt = s.st.Now(), s.st.Now()
	row.EvaluatedMs = s.now().UnixMilli()
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		db := tx.Gorm(ctx)
		if err := db.Create(&row).Error; err != nil {
			return conflict(err, "a notification rule named %q already exists", row.Name)
		}
		return s.setReceivers(ctx, db, row.ID, refs)
	})
	if err != nil {
		return tc.NotifyRule{}, err
	}
	return s.GetRule(ctx, row.ID)
}

// UpdateRule changes a rule. A rule whose event, scope, selector, minimum
// duration or grouping changes starts over: its open groups are dropped
// without resolved notifications. Errors: not_found, invalid, conflict.
func (s *Service) UpdateRule(ctx context.Context, ref string, req tc.NotifyRuleRequest) (tc.NotifyRule, error) {
	var id string
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		db := tx.Gorm(ctx)
		row, err := s.ruleByRef(ctx, db, ref)
		if err != nil {
			return err
		}
		before := *row
		refs, err := applyRule(row, req, false)
		if err != nil {
			return err
		}
		row.UpdatedAt = s.st.Now()
		if row.Event != before.Event || row.Scope != before.Scope || row.Selector != before.Selector || row.ForS != before.ForS ||
			row.GroupBy != before.GroupBy || (row.Enabled && !before.Enabled) {
			for _, t := range []string{"notify_groups", "notify_members"} {
				if err := db.Exec("DELETE FROM "+t+" WHERE rule_id = ?", row.ID).Error; err != nil {
					return err
				}
			}
			row.EvaluatedMs = s.now().UnixMilli()
		}
		if err := db.Save(row).Error; err != nil {
			return conflict(err, "a notification rule named %q already exists", row.Name)
		}
		id = row.ID
		if refs != nil {
			return s.setReceivers(ctx, db, row.ID, refs)
		}
		return nil
	})
	if err != nil {
		return tc.NotifyRule{}, err
	}
	return s.GetRule(ctx, id)
}

// DeleteRule deletes a rule; notifications it already decided are still
// delivered. Errors: not_found.
func (s *Service) DeleteRule(ctx context.Context, ref string) error {
	return s.st.Tx(ctx, func(tx *store.Store) error {
		db := tx.Gorm(ctx)
		row, err := s.ruleByRef(ctx, db, ref)
		if err != nil {
			return err
		}
		// SQLite enforces the cascades only with foreign keys on; delete
		// the dependants explicitly on both engines.
		for _, t := range []string{"notify_rule_receivers", "notify_groups", "notify_members"} {
			if err := db.Exec("DELETE FROM "+t+" WHERE rule_id = ?", row.ID).Error; err != nil {
				return err
			}
		}
		return db.Exec("DELETE FROM notify_rules WHERE id = ?", row.ID).Error
	})
}
