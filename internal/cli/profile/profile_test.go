package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "tcctl", "config.yaml")
	want := &File{CurrentContext: "tcd:8888", Contexts: []Context{{Name: "tcd:8888", URL: "http://tcd:8888", Token: "tc-session_abc", Username: "alice"}}}
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Mode().Perm(); m != 0o600 {
		t.Errorf("file mode = %o, want 600", m)
	}
	dst, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if m := dst.Mode().Perm(); m != 0o700 {
		t.Errorf("dir mode = %o, want 700", m)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentContext != want.CurrentContext || len(got.Contexts) != 1 || got.Contexts[0] != want.Contexts[0] {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
	data, _ := os.ReadFile(path)
	for _, key := range []string{"currentContext:", "contexts:", "url:", "token:", "username:"} {
		if !strings.Contains(string(data), key) {
			t.Errorf("file lacks %q:\n%s", key, data)
		}
	}
}

// A file of earlier tcctl versions (one url and token at the top) is read as
// one current context named after its host:port.
func TestLoadSingleLoginFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("url: http://tcd.example.com:8888/\ntoken: tc-session_abc\nusername: root\ncaCert: /etc/ca.pem\n"), 0o600)
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Current()
	if c == nil || c.Name != "tcd.example.com:8888" || c.URL != "http://tcd.example.com:8888/" || c.Token != "tc-session_abc" || c.Username != "root" || c.CACert != "/etc/ca.pem" {
		t.Fatalf("migrated = %+v", f)
	}
	if err := Save(path, f); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.HasPrefix(string(data), "url:") || !strings.Contains(string(data), "contexts:") {
		t.Errorf("saved in the old shape:\n%s", data)
	}
}

func TestSameURLAndNames(t *testing.T) {
	same := [][2]string{{"http://tcd:8888", "http://TCD:8888/"}, {"tcd:8888", "http://tcd:8888"}, {"https://tcd", "https://tcd:443"}, {"http://[::1]:8888", "http://[::1]:8888/"}}
	for _, p := range same {
		if !SameURL(p[0], p[1]) {
			t.Errorf("SameURL(%q, %q) = false", p[0], p[1])
		}
	}
	differ := [][2]string{{"http://tcd:8888", "https://tcd:8888"}, {"http://tcd:8888", "http://tcd:8889"}, {"http://tcd:8888", "http://tcd.evil:8888"}, {"http://a:8888", "http://a:8888/x"}}
	for _, p := range differ {
		if SameURL(p[0], p[1]) {
			t.Errorf("SameURL(%q, %q) = true", p[0], p[1])
		}
	}
	f := &File{}
	c := Context{URL: "http://localhost:8888", Username: "root"}
	c.Name = f.NewName(c)
	f.Put(c)
	d := Context{URL: "http://localhost:8888", Username: "alice"}
	if n := f.NewName(d); n != "alice@localhost:8888" || c.Name != "localhost:8888" {
		t.Errorf("names %q, %q", c.Name, n)
	}
	if err := f.Rename("localhost:8888", "dev"); err != nil || f.Get("dev") == nil {
		t.Errorf("rename: %v", err)
	}
}

func TestSaveTightensExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("url: http://old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, &File{}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if m := st.Mode().Perm(); m != 0o600 {
		t.Errorf("file mode = %o, want 600", m)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestLoadMissingAndInvalid(t *testing.T) {
	dir := t.TempDir()
	p, err := Load(filepath.Join(dir, "absent.yaml"))
	if err != nil || len(p.Contexts) != 0 || p.CurrentContext != "" {
		t.Fatalf("Load(missing) = %+v, %v; want an empty file", p, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("url: [unclosed\n"), 0o600)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "not valid YAML") {
		t.Errorf("Load(bad) err = %v", err)
	}
}
