package cmdutil

import (
	"errors"
	"fmt"
	"net/http"

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

// ExitCode maps an error to tcctl's exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var fe *FlagError
	if errors.As(err, &fe) {
		return ExitUsage
	}
	var te *tc.Error
	if !errors.As(err, &te) {
		return ExitError
	}
	switch {
	case te.Status == http.StatusNotFound || te.Code == tc.ENotFound:
		return ExitNotFound
	case te.Status == http.StatusUnauthorized || te.Status == http.StatusForbidden,
		te.Code == tc.EUnauthorized || te.Code == tc.EForbidden:
		return ExitAuth
	}
	return ExitError
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
