package cmdutil

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// CodeLifetimeFlags adds --expires-in (a duration: 12h, 3d) and the older
// --expires-in-hours (hidden) to a verb that issues a one-time code; the
// returned function gives the lifetime in hours for the request (nil when
// neither was given) or a usage error.
func CodeLifetimeFlags(cmd *cobra.Command, def int) func() (*int, error) {
	var d time.Duration
	var hours int
	cmd.Flags().Var(NewDuration(&d, 0), "expires-in", fmt.Sprintf("lifetime of the code, whole hours from 1h to 30d (default %s)", FormatDuration(time.Duration(def)*time.Hour)))
	cmd.Flags().IntVar(&hours, "expires-in-hours", def, "lifetime of the code in hours")
	_ = cmd.Flags().MarkHidden("expires-in-hours")
	cmd.MarkFlagsMutuallyExclusive("expires-in", "expires-in-hours")
	return func() (*int, error) {
		switch {
		case cmd.Flags().Changed("expires-in"):
			if d%time.Hour != 0 {
				return nil, FlagErrorf("--expires-in %s: give whole hours (e.g. 12h or 3d)", FormatDuration(d))
			}
			hours = int(d / time.Hour)
		case !cmd.Flags().Changed("expires-in-hours"):
			return nil, nil
		}
		if _, err := tc.CheckCodeHours("--expires-in", &hours, def); err != nil {
			return nil, &FlagError{Err: fmt.Errorf("--expires-in must be from 1h to 30d (got %s)", FormatDuration(time.Duration(hours)*time.Hour))}
		}
		return &hours, nil
	}
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
