package cmdutil

import (
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
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
