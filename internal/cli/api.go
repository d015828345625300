package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
)

// newCmdAPI builds `tcctl api`, the raw escape hatch to any route.
func newCmdAPI(f *cmdutil.Factory) *cobra.Command {
	var file string
	var query []string
	cmd := &cobra.Command{
		Use:   "api <method> <path>",
		Short: "Send a request to any tcd API route and print the answer",
		Long: `Send one request to tcd with the current credential and print the JSON
answer, for routes tcctl has no command for (like gh api). The method is
GET, POST, PUT, PATCH or DELETE; the path starts with /api/. -f sends a JSON
body from a file (- for stdin); -q adds query parameters. A 2xx answer is
printed as it came (indented when it is JSON); an error answer exits as
any tcctl error does (3 for not found, 4 for refused, …).`,
		Example: `  tcctl api GET /api/agents/summary
  tcctl api GET /api/agents -q status=fail -q limit=5
  tcctl api PATCH /api/settings -f settings.json
  echo '{"name":"eu"}' | tcctl api POST /api/labels -f -`,
		Args: cmdutil.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return []cobra.Completion{"GET", "POST", "PUT", "PATCH", "DELETE"}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			method := strings.ToUpper(args[0])
			switch method {
			case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			default:
				return cmdutil.FlagErrorf("method %q: use GET, POST, PUT, PATCH or DELETE", args[0])
			}
			path := args[1]
			if !strings.HasPrefix(path, "/") {
				path = "/" + path
			}
			q, err := cmdutil.ParseParams(query)
			if err != nil {
				return err
			}
			var body any
			if file != "" {
				var data []byte
				if file == "-" {
					data, err = io.ReadAll(f.IOStreams.In)
				} else {
					data, err = os.ReadFile(file)
				}
				if err != nil {
					return fmt.Errorf("read %s: %w", file, err)
				}
				if !json.Valid(data) {
					return cmdutil.FlagErrorf("%s is not JSON", file)
				}
				body = json.RawMessage(data)
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			var out json.RawMessage
			if err := c.Do(cmd.Context(), method, path, q, body, &out); err != nil {
				return err
			}
			if len(out) == 0 {
				return nil
			}
			var b bytes.Buffer
			if json.Indent(&b, out, "", "  ") != nil {
				b.Reset()
				b.Write(out)
			}
			b.WriteByte('\n')
			_, err = f.IOStreams.Out.Write(b.Bytes())
			return err
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "JSON request body from a file (- for stdin)")
	cmd.Flags().StringArrayVarP(&query, "query", "q", nil, "query parameter name=value (repeatable)")
	return cmd
}
