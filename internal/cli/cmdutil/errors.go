package cmdutil

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// Exit codes of tcctl (PRODUCT §9), documented in `tcctl --help`.
const (
	ExitOK       = 0
	ExitError    = 1
	ExitUsage    = 2
	ExitNotFound = 3
	ExitAuth     = 4
)

// FlagError is a usage error: a bad flag, argument or combination of them.
// It exits with ExitUsage.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf returns a usage error with a formatted message.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ErrCancel means the user answered no to a confirmation; nothing was done.
var ErrCancel = errors.New("cancelled")

// ExitCode maps an error to tcctl's exit code: usage errors (caught here
// or by tcd: an "invalid" answer naming the request field at fault) exit
// 2, tcd's "not found" 3, refused credentials or permissions 4, anything
// else 1. A bad file content (an "invalid" answer pointing at a line, like
// a TOML error) is not a usage error and exits 1.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ce *CodeError
	if errors.As(err, &ce) {
		return ce.Code
	}
	var fe *FlagError
	if errors.As(err, &fe) {
		return ExitUsage
	}
	var nc *ErrNoCredential
	if errors.As(err, &nc) {
		return ExitAuth
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return ExitNotFound
	}
	var te *tc.Error
	if !errors.As(err, &te) {
		return ExitError
	}
	switch te.Code {
	case tc.ENotFound:
		return ExitNotFound
	case tc.EUnauthorized, tc.EForbidden:
		return ExitAuth
	case tc.EInvalid:
		if te.Details["field"] != nil && te.Details["line"] == nil {
			return ExitUsage
		}
	}
	return ExitError
}

// NotFoundError reports that some of the objects a command named do not
// exist; the command did what it could with the others. It exits with
// ExitNotFound.
type NotFoundError struct {
	// Kind is the noun, e.g. "agent"; Names what was not found.
	Kind  string
	Names []string
}

func (e *NotFoundError) Error() string {
	kind := e.Kind
	if len(e.Names) != 1 {
		kind = Plural(kind)
	}
	return fmt.Sprintf("no such %s: %s", kind, strings.Join(e.Names, ", "))
}

// Plural makes a noun plural the simple English way (agent → agents,
// config group → config groups, entry → entries).
func Plural(noun string) string {
	switch {
	case strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ey"):
		return noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s"):
		return noun
	}
	return noun + "s"
}

// IsUnauthorized reports whether err is a 401 from tcd.
func IsUnauthorized(err error) bool {
	return client.HTTPStatus(err) == http.StatusUnauthorized || tc.IsCode(err, tc.EUnauthorized)
}

// annotationNoLoginHint marks commands whose 401 means "wrong password or
// code" rather than "log in first", so no login hint is printed.
const annotationNoLoginHint = "tcctl/no-login-hint"

// DisableLoginHint marks cmd as one whose 401 needs no "run tcctl login" hint.
func DisableLoginHint(cmd *cobra.Command) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[annotationNoLoginHint] = "true"
}

// WantsLoginHint reports whether a 401 from cmd should be followed by a
// hint on how to authenticate.
func WantsLoginHint(cmd *cobra.Command) bool {
	return cmd == nil || cmd.Annotations[annotationNoLoginHint] == ""
}

// CodeError ends tcctl with a given exit code (e.g. tcctl diff: 1 when
// something would change, 2 and up for errors). With a nil Err nothing is
// printed.
type CodeError struct {
	Code int
	Err  error
}

func (e *CodeError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *CodeError) Unwrap() error { return e.Err }

// Silent reports whether err asks for an exit code without a message.
func Silent(err error) bool {
	var ce *CodeError
	return errors.As(err, &ce) && ce.Err == nil
}
