package cac

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentc/tc/pkg/tc"
)

func write(t *testing.T, dir, name, s string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Files are read with the line each document starts on; a config's TOML
// file is read relative to its document; mistakes name the file and line.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "apiVersion: tc/v1\nkind: Label\nmetadata:\n  name: prod\n---\napiVersion: tc/v1\nkind: Config\nmetadata:\n  name: web\nspec:\n  tomlFile: toml/web.toml\n---\n")
	write(t, dir, "toml/web.toml", "[[inputs.cpu]]\n")
	write(t, dir, "notes.txt", "not a resource")
	rs, err := Load([]string{dir}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Source.Line != 1 || rs[1].Source.Line != 6 || rs[1].Spec.TOML != "[[inputs.cpu]]\n" || rs[1].Spec.TOMLFile != "" ||
		rs[1].Source.TOMLFile != filepath.Join(dir, "toml/web.toml") {
		t.Fatalf("loaded %+v %+v", rs, rs[1].Source)
	}
	for name, tcase := range map[string]struct{ doc, want string }{
		"unknown field":  {"apiVersion: tc/v1\nkind: Config\nmetadata:\n  name: x\nspec:\n  tomlfile: x.toml\n", "line 6: field tomlfile not found"},
		"missing toml":   {"apiVersion: tc/v1\nkind: Config\nmetadata:\n  name: x\nspec:\n  tomlFile: nope.toml\n", "bad.yaml:1: spec.tomlFile: read"},
		"both":           {"apiVersion: tc/v1\nkind: Config\nmetadata:\n  name: x\nspec:\n  toml: a\n  tomlFile: b\n", "bad.yaml:1: give spec.toml or spec.tomlFile, not both"},
		"not yaml":       {"kind: [\n", "bad.yaml:"},
		"tomlFile label": {"apiVersion: tc/v1\nkind: Label\nmetadata:\n  name: x\nspec:\n  tomlFile: b\n", "spec.tomlFile is a field of a Config only"},
	} {
		d := t.TempDir()
		p := write(t, d, "bad.yaml", tcase.doc)
		_, err := Load([]string{p}, false)
		if err == nil || !strings.Contains(err.Error(), tcase.want) {
			t.Errorf("%s: %v, want %q", name, err, tcase.want)
		}
	}
	// A tree whose files are all in subdirectories needs -R.
	tree := t.TempDir()
	write(t, tree, "configs/web.yaml", "apiVersion: tc/v1\nkind: Label\nmetadata:\n  name: x\n")
	if _, err := Load([]string{tree}, false); err == nil || !strings.Contains(err.Error(), "add -R") {
		t.Fatalf("tree without -R: %v", err)
	}
	if rs, err := Load([]string{tree}, true); err != nil || len(rs) != 1 {
		t.Fatalf("tree with -R: %v %v", rs, err)
	}
}

// Render lays resources out deterministically; names that are not file
// names are made safe and kept apart.
func TestRender(t *testing.T) {
	v := "eu"
	rs := []tc.Resource{
		{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindConfig, Metadata: tc.ResourceMetadata{Name: "db servers", ID: "x1"}, Spec: tc.ResourceSpec{TOML: "[[inputs.mem]]\n"}},
		{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindConfig, Metadata: tc.ResourceMetadata{Name: "db_servers", ID: "x2"}, Spec: tc.ResourceSpec{TOML: "[[inputs.cpu]]\n"}},
		{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindConstant, Metadata: tc.ResourceMetadata{Name: "region"}, Spec: tc.ResourceSpec{Value: &v}},
	}
	files, err := Render(rs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"configs/db_servers.yaml":   "apiVersion: tc/v1\nkind: Config\nmetadata:\n  name: db servers\n  id: x1\nspec:\n  tomlFile: db_servers.toml\n",
		"configs/db_servers.toml":   "[[inputs.mem]]\n",
		"configs/db_servers-2.yaml": "apiVersion: tc/v1\nkind: Config\nmetadata:\n  name: db_servers\n  id: x2\nspec:\n  tomlFile: db_servers-2.toml\n",
		"configs/db_servers-2.toml": "[[inputs.cpu]]\n",
		"constants/region.yaml":     "apiVersion: tc/v1\nkind: Constant\nmetadata:\n  name: region\nspec:\n  value: eu\n",
	}
	if len(files) != len(want) {
		t.Fatalf("files: %v", files)
	}
	for k, v := range want {
		if string(files[k]) != v {
			t.Errorf("%s:\n%s\nwant\n%s", k, files[k], v)
		}
	}
}
