// Package precond is optimistic concurrency for the API's update routes:
// every object answer carries an ETag (a digest of what the object is),
// and a PATCH, PUT or DELETE with If-Match is refused with 412 when the
// object changed since the caller read it. The check runs inside the
// write's transaction (see Guard), so two writers that read the same state
// cannot both pass it.
package precond

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/opentc/tc/pkg/tc"
)

type ifMatchKey struct{}

// WithIfMatch returns ctx carrying the If-Match header of a request ("" for
// none: no precondition).
func WithIfMatch(ctx context.Context, header string) context.Context {
	header = strings.TrimSpace(header)
	if header == "" {
		return ctx
	}
	return context.WithValue(ctx, ifMatchKey{}, header)
}

// Wanted reports whether ctx carries an If-Match precondition.
func Wanted(ctx context.Context) bool {
	_, ok := ctx.Value(ifMatchKey{}).(string)
	return ok
}

// Check compares the current ETag of an object (exists=false: there is no
// such object) with the If-Match of ctx: nil without a precondition or when
// one of the listed tags (or "*" for an existing object) matches, a 412
// error otherwise. Comparison is strong (RFC 9110 §13.1.1): a weak tag
// (W/"…") never matches. what names the object in the message.
func Check(ctx context.Context, what string, current string, exists bool) error {
	h, ok := ctx.Value(ifMatchKey{}).(string)
	if !ok {
		return nil
	}
	for _, t := range strings.Split(h, ",") {
		t = strings.TrimSpace(t)
		if t == "*" && exists {
			return nil
		}
		if exists && t == current {
			return nil
		}
	}
	if !exists {
		return tc.Errorf(tc.EPreconditionFailed, "%s does not exist any more (If-Match %s): nothing was changed", what, h).With("ifMatch", h)
	}
	return tc.Errorf(tc.EPreconditionFailed, "%s changed since you read it (If-Match %s, now %s): nothing was changed; read it again and redo your change", what, h, current).
		With("ifMatch", h).With("etag", current)
}

// Tag is the strong ETag of a value: a digest of its JSON form.
func Tag(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return `"invalid"`
	}
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// Config is the ETag of a config: everything it is, not the warnings of
// the write that answered it.
func Config(c tc.Config) string { c.Warnings = nil; return Tag(c) }

// Group is the ETag of a config group.
func Group(g tc.ConfigGroup) string { g.Warnings = nil; return Tag(g) }

// Constant is the ETag of a constant (not the configs that use it, which
// change with them).
func Constant(c tc.Constant) string { c.Warnings, c.UsedBy = nil, nil; return Tag(c) }

// Label is the ETag of a label.
func Label(l tc.Label) string { return Tag(l) }

// Alias is the ETag of an alias (its target).
func Alias(a tc.Alias) string { return Tag(a) }

// Rule is the ETag of a reporting rule (not its agent count, which moves
// with the fleet).
func Rule(r tc.ReportingRule) string { r.Agents = 0; return Tag(r) }
