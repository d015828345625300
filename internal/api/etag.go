package api

import (
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/precond"
	"github.com/opentc/tc/pkg/tc"
)

// Optimistic concurrency for the objects whose services do not check
// If-Match in their own transaction (configs, groups, constants, labels,
// aliases and reporting rules do, see internal/precond): settings, users,
// tokens, notification receivers and rules. A route that names its object
// (Route.Object) answers GET with the object's ETag, and a PATCH, PUT or
// DELETE with If-Match is checked against the object as it is now, with
// the writes of that kind of object serialized in this process while
// they check and write. (These objects are changed by people, rarely; on
// a cluster two nodes can still race inside that window.)

// objectReader returns the object a route is about, as its GET answers it.
type objectReader func(c *fiber.Ctx) (any, error)

var objectLocks struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

func lockKind(kind string) func() {
	objectLocks.mu.Lock()
	if objectLocks.m == nil {
		objectLocks.m = map[string]*sync.Mutex{}
	}
	l := objectLocks.m[kind]
	if l == nil {
		l = &sync.Mutex{}
		objectLocks.m[kind] = l
	}
	objectLocks.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// withObject wraps a route's handler: GET answers the object with its
// ETag; writes honour If-Match and answer the new ETag.
func withObject(r Route) fiber.Handler {
	read, kind, h := r.Object, r.ObjectKind, r.Handler
	if read == nil {
		return h
	}
	if r.Method == fiber.MethodGet {
		return func(c *fiber.Ctx) error {
			v, err := read(c)
			if err != nil {
				return err
			}
			return tagged(c, precond.Tag(v), v)
		}
	}
	setTag := func(c *fiber.Ctx) {
		if c.Method() == fiber.MethodDelete || c.Response().StatusCode() >= 300 {
			return
		}
		if v, err := read(c); err == nil {
			c.Set(fiber.HeaderETag, precond.Tag(v))
		}
	}
	return func(c *fiber.Ctx) error {
		if c.Get(fiber.HeaderIfMatch) == "" {
			if err := h(c); err != nil {
				return err
			}
			setTag(c)
			return nil
		}
		defer lockKind(kind)()
		v, err := read(c)
		exists := err == nil
		if err != nil && !tc.IsCode(err, tc.ENotFound) {
			return err
		}
		what := kind
		if id := c.Params("id"); id != "" {
			what += " " + id
		}
		if err := precond.Check(ctx(c), what, precond.Tag(v), exists); err != nil {
			return err
		}
		if err := h(c); err != nil {
			return err
		}
		setTag(c)
		return nil
	}
}
