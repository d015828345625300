package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "tcctl", "config.yaml")
	want := &Profile{URL: "http://tcd:8888", Token: "tc-session_abc", Username: "alice"}
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
	if *got != *want {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
	data, _ := os.ReadFile(path)
	for _, key := range []string{"url:", "token:", "username:"} {
		if !strings.Contains(string(data), key) {
			t.Errorf("profile lacks %q:\n%s", key, data)
		}
	}
}

func TestSaveTightensExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("url: http://old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, &Profile{URL: "http://new"}); err != nil {
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
	if err != nil || *p != (Profile{}) {
		t.Fatalf("Load(missing) = %+v, %v; want empty profile", p, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("url: [unclosed\n"), 0o600)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "not valid YAML") {
		t.Errorf("Load(bad) err = %v", err)
	}
}
