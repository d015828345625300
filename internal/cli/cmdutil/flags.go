package cmdutil

import (
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
	"net/url"
	"strings"
)

// HoursFlag validates an --expires-in-hours value (1–720) and returns it as
// the request field, or nil when the flag was not given.
func HoursFlag(cmd *cobra.Command, name string, value, def int) (*int, error) {
	if !cmd.Flags().Changed(name) {
		return nil, nil
	}
	if _, err := tc.CheckCodeHours("--"+name, &value, def); err != nil {
		return nil, &FlagError{Err: err}
	}
	return &value, nil
}

// ParseParams turns repeated --param k=v into a query; a repeated key gives
// repeated values (joined with ", " by the renderer).
func ParseParams(params []string) (url.Values, error) {
	q := url.Values{}
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, FlagErrorf("--param %q must be name=value", p)
		}
		q.Add(k, v)
	}
	return q, nil
}
