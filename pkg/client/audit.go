package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// AuditFilter narrows ListAudit.
type AuditFilter struct {
	From, To  *time.Time
	Actor     string
	Action    string
	Outcome   string
	AfterSeq  int64
	Ascending bool
	tc.Page
}

// ListAudit reads the audit log (GET /api/audit).
func (c *Client) ListAudit(ctx context.Context, f AuditFilter) (tc.List[tc.AuditEntry], error) {
	q := url.Values{}
	if f.From != nil {
		q.Set("from", f.From.UTC().Format(time.RFC3339Nano))
	}
	if f.To != nil {
		q.Set("to", f.To.UTC().Format(time.RFC3339Nano))
	}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "outcome": f.Outcome} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.AfterSeq > 0 {
		q.Set("afterSeq", strconv.FormatInt(f.AfterSeq, 10))
	}
	if f.Ascending {
		q.Set("order", "asc")
	}
	var out tc.List[tc.AuditEntry]
	err := c.Do(ctx, http.MethodGet, "/api/audit", pageQuery(f.Page, q), nil, &out)
	return out, err
}

// VerifyAudit has tcd verify the keyed audit chain (GET /api/audit/verify);
// head, if not empty, is a head tcd logged earlier (SEQ:HASH) that the log
// must still reach.
func (c *Client) VerifyAudit(ctx context.Context, head string) (tc.AuditVerifyReport, error) {
	q := url.Values{}
	if head != "" {
		q.Set("head", head)
	}
	var out tc.AuditVerifyReport
	err := c.Do(ctx, http.MethodGet, "/api/audit/verify", q, nil, &out)
	return out, err
}
