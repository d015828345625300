package cac

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/tc"
)

// kindDirs is the directory of each kind in an exported tree.
var kindDirs = map[string]string{
	tc.KindLabel:         "labels",
	tc.KindConstant:      "constants",
	tc.KindConfig:        "configs",
	tc.KindConfigGroup:   "groups",
	tc.KindAlias:         "aliases",
	tc.KindReportingRule: "rules",
	tc.KindSecretSet:     "secrets",
}

// exportKinds are the kinds export can write.
var exportKinds = append(append([]string(nil), tc.ResourceKinds...), tc.KindSecretSet)

// ExportResult is what export prints with -o json|yaml.
type ExportResult struct {
	Dir     string   `json:"dir"`
	Files   []string `json:"files"`
	Removed []string `json:"removed"`
}

// NewCmdExport builds `tcctl export`.
func NewCmdExport(f *cmdutil.Factory) *cobra.Command {
	var (
		dir, label string
		kinds      []string
	)
	cmd := &cobra.Command{
		Use:   "export -d DIR",
		Short: "Write tcd's configuration as resource files (config as code)",
		Long: `Write tcd's configuration into DIR as tc/v1 resource files, one per
resource, in a subdirectory per kind: labels/, constants/, configs/ (each
config's TOML in a .toml file beside its .yaml), groups/, aliases/, rules/,
and secrets/ (secret sets by the names of their secrets, never a value;
only for callers holding secrets:write, who may list those names).

The output is deterministic (sorted, stable formatting): exporting twice
gives identical trees, so "git diff" after an export shows only real
changes. Files of the exported kinds that no longer match a resource
(deleted since the last export) are removed; nothing else in DIR is
touched. Tokens, users and secret values are never exported.

--kind limits the export to some kinds (repeatable); -l exports only the
configs and config groups carrying that label and the aliases of those.
Apply the tree with "tcctl apply -f DIR -R".`,
		Example: `  tcctl export -d fleet/
  tcctl export -d fleet/ --kind Config --kind ConfigGroup
  tcctl export -d prod/ -l production`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return cmdutil.FlagErrorf("-d/--dir is required: the directory to write the resource files into")
			}
			for _, k := range kinds {
				if kindDirs[k] == "" {
					return cmdutil.FlagErrorf("unknown kind %q: use %s", k, strings.Join(exportKinds, ", "))
				}
			}
			return exportRun(cmd.Context(), f, dir, kinds, label)
		},
	}
	cmd.Flags().StringVarP(&dir, "dir", "d", "", "directory to write into (created if missing)")
	cmd.Flags().StringArrayVar(&kinds, "kind", nil, "export only this kind (repeatable): "+strings.Join(exportKinds, ", "))
	cmd.Flags().StringVarP(&label, "selector", "l", "", "export only the configs and config groups carrying this label (and their aliases)")
	_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(exportKinds, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func exportRun(ctx context.Context, f *cmdutil.Factory, dir string, kinds []string, label string) error {
	c, err := f.Client()
	if err != nil {
		return err
	}
	q := url.Values{}
	for _, k := range kinds {
		q.Add("kind", k)
	}
	if label != "" {
		q.Set("label", label)
	}
	var list tc.ResourceList
	if err := c.Do(ctx, http.MethodGet, "/api/resources", q, nil, &list); err != nil {
		return err
	}
	files, err := Render(list.Resources)
	if err != nil {
		return err
	}
	res := ExportResult{Dir: dir, Files: []string{}, Removed: []string{}}
	written := map[string]bool{}
	for _, name := range sortedNames(files) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, files[name]) {
			if err := os.WriteFile(path, files[name], 0o644); err != nil {
				return err
			}
		}
		written[path] = true
		res.Files = append(res.Files, path)
	}
	// Remove what earlier exports wrote for resources that are gone.
	exported := kinds
	if len(exported) == 0 {
		exported = exportKinds
	}
	for _, k := range exported {
		sub := filepath.Join(dir, kindDirs[k])
		entries, err := os.ReadDir(sub)
		if err != nil {
			continue
		}
		for _, e := range entries {
			path := filepath.Join(sub, e.Name())
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if e.IsDir() || written[path] || (ext != ".yaml" && ext != ".yml" && ext != ".toml") {
				continue
			}
			if label != "" {
				continue // a partial export does not know what else belongs there
			}
			if err := os.Remove(path); err != nil {
				return err
			}
			res.Removed = append(res.Removed, path)
		}
	}
	if f.Output.Structured() {
		return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, res)
	}
	fmt.Fprintf(f.IOStreams.Out, "exported %d resources to %s\n", len(list.Resources), dir)
	for _, r := range res.Removed {
		fmt.Fprintf(f.IOStreams.Out, "removed %s\n", r)
	}
	return nil
}

func sortedNames(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fileName turns a resource name into a file name: letters, digits, '.',
// '_' and '-' stay, anything else becomes '_'.
func fileName(name string) string {
	s := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, name)
	if strings.Trim(s, ".") == "" {
		s = "_" + s
	}
	return s
}

// Render lays resources out as files (path relative to the export
// directory → content); a config's TOML goes to a .toml file beside it.
func Render(resources []tc.Resource) (map[string][]byte, error) {
	out := map[string][]byte{}
	used := map[string]bool{}
	for _, r := range resources {
		base := fileName(r.Metadata.Name)
		stem := filepath.Join(kindDirs[r.Kind], base)
		for i := 2; used[strings.ToLower(stem)]; i++ {
			stem = filepath.Join(kindDirs[r.Kind], fmt.Sprintf("%s-%d", base, i))
		}
		used[strings.ToLower(stem)] = true
		if r.Kind == tc.KindConfig {
			out[stem+".toml"] = []byte(r.Spec.TOML)
			r.Spec.TOML, r.Spec.TOMLFile = "", filepath.Base(stem)+".toml"
		}
		r.Source = nil
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(r); err != nil {
			return nil, err
		}
		enc.Close()
		out[stem+".yaml"] = b.Bytes()
	}
	return out, nil
}
