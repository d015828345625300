package cmdutil

import (
	"context"
	"strings"
	"time"

	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// CompleteUsername completes the first positional argument with usernames
// from tcd. Completion must never get in the way, so errors (no URL, no
// login, no permission, tcd down) simply yield no suggestions.
func CompleteUsername(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := f.Client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
		defer cancel()
		list, err := c.ListUsers(ctx, client.UserFilter{Search: toComplete, Page: tc.Page{Limit: tc.MaxLimit}})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, u := range list.Items {
			if strings.HasPrefix(u.Username, toComplete) {
				out = append(out, cobra.CompletionWithDesc(u.Username, string(u.Role)))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteRoles completes role names.
func CompleteRoles(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	out := make([]cobra.Completion, 0, len(tc.Roles))
	for _, r := range tc.Roles {
		out = append(out, string(r))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
