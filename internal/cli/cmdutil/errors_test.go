package cmdutil

import (
	"errors"
	"fmt"
	"testing"

	"github.com/opentc/tc/pkg/tc"
)

func TestExitCode(t *testing.T) {
	withStatus := func(code string, status int) error {
		e := tc.Errorf(code, "x")
		e.Status = status
		return e
	}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain", errors.New("boom"), ExitError},
		{"usage", FlagErrorf("bad"), ExitUsage},
		{"wrapped usage", fmt.Errorf("ctx: %w", FlagErrorf("bad")), ExitUsage},
		{"cancel", ErrCancel, ExitError},
		{"404", withStatus(tc.ENotFound, 404), ExitNotFound},
		{"404 from a server that is not tcd", withStatus(tc.EUnavailable, 404), ExitError},
		{"invalid naming a field", tc.Errorf(tc.EInvalid, "x").With("field", "status"), ExitUsage},
		{"invalid file content", tc.Errorf(tc.EInvalid, "x").With("field", "toml").With("line", 3), ExitError},
		{"no credential for the URL", &ErrNoCredential{URL: "http://b"}, ExitAuth},
		{"some names not found", fmt.Errorf("x: %w", &NotFoundError{Kind: "agent", Names: []string{"a"}}), ExitNotFound},
		{"not_found code", tc.Errorf(tc.ENotFound, "x"), ExitNotFound},
		{"401", withStatus(tc.EUnauthorized, 401), ExitAuth},
		{"403", withStatus(tc.EForbidden, 403), ExitAuth},
		{"wrapped 403", fmt.Errorf("ctx: %w", withStatus(tc.EForbidden, 403)), ExitAuth},
		{"409", withStatus(tc.EConflict, 409), ExitError},
		{"400", withStatus(tc.EInvalid, 400), ExitError},
		{"unavailable", tc.Errorf(tc.EUnavailable, "down"), ExitError},
		{"500", withStatus(tc.EInternal, 500), ExitError},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode = %d, want %d", tt.name, got, tt.want)
		}
	}
}
