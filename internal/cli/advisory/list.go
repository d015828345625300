package advisory

import (
	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
)

// NewCmdList builds `tcctl advisory list`.
func NewCmdList(f *cmdutil.Factory) *cobra.Command {
	return resource.NewListCmd(f, resource.Advisories, resource.Help{
		Short: "List advisories and how many agents each applies to",
		Long: `List the imported advisories with their severity, the number of agents whose
version they affect, and the versions that fix them: those that apply to
agents first, then by severity. Acknowledged and withdrawn advisories are
left out unless --acknowledged. --severity keeps advisories of at least that
severity (critical > high > medium > low > unknown).`,
		Example: `  tcctl advisory list
  tcctl advisory list --severity high
  tcctl advisory list --acknowledged -o json`,
	})
}
