package cac

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A resource tree (say, a pull request CI runs `tcctl diff` on) must not
// make tcctl read files outside it: paths that climb out, absolute paths,
// symbolic links that point out, devices and FIFOs, or huge files are
// refused with the resource file and line; nothing of them is read.
func TestLoadRefusesFilesOutsideTheTree(t *testing.T) {
	base := t.TempDir()
	repo := filepath.Join(base, "repo")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(repo, "configs"), outside} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(outside, "ci.env")
	os.WriteFile(secret, []byte("[agent]\n  hostname = \"LEAKME\"\n"), 0o600)
	os.Symlink(secret, filepath.Join(repo, "configs", "link.toml"))
	os.WriteFile(filepath.Join(outside, "r.yaml"), []byte("apiVersion: tc/v1\nkind: Label\nmetadata:\n  name: LEAKME\n"), 0o600)
	fifo := filepath.Join(repo, "configs", "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(repo, "configs", "big.toml")
	f, _ := os.Create(big)
	f.Truncate(MaxFileSize + 1)
	f.Close()

	config := func(tomlFile string) string {
		return "apiVersion: tc/v1\nkind: Config\nmetadata:\n  name: web\nspec:\n  tomlFile: " + tomlFile + "\n"
	}
	cases := map[string]struct{ yaml, want string }{
		"climbs out":    {config("../../outside/ci.env"), "outside"},
		"absolute":      {config(secret), "relative"},
		"symlink out":   {config("link.toml"), "outside"},
		"device":        {config("../../../../../../dev/zero"), "outside"},
		"fifo":          {config("fifo.toml"), "not a regular file"},
		"too large":     {config("big.toml"), "larger than"},
		"yaml link out": {"", "outside"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(repo, "configs", "web.yaml")
			os.Remove(path)
			if c.yaml != "" {
				os.WriteFile(path, []byte(c.yaml), 0o600)
			} else {
				link := filepath.Join(repo, "configs", "linked.yaml")
				os.Symlink(filepath.Join(outside, "r.yaml"), link)
				defer os.Remove(link)
			}
			_, err := Load([]string{repo}, true)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "LEAKME") {
				t.Fatalf("Load: %v (want an error saying %q, without the file's content)", err, c.want)
			}
		})
	}
	// Inside the tree, a relative path and a symlink that stays inside work.
	os.WriteFile(filepath.Join(repo, "configs", "web.toml"), []byte("[[inputs.cpu]]\n"), 0o600)
	os.Symlink("web.toml", filepath.Join(repo, "configs", "alias.toml"))
	os.WriteFile(filepath.Join(repo, "configs", "web.yaml"), []byte(config("alias.toml")), 0o600)
	rs, err := Load([]string{repo}, true)
	if err != nil || len(rs) != 1 || rs[0].Spec.TOML != "[[inputs.cpu]]\n" {
		t.Fatalf("inside the tree: %v %+v", err, rs)
	}
}
