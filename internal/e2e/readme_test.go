package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/bench"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// walkthroughSections are the README sections whose shell blocks form the
// walk-through, run as one script in this order.
var walkthroughSections = []string{"## First steps", "## Connect agents", "## CI pipelines", "## API tokens"}

// readmeScript returns the shell blocks of the walk-through sections of
// README.md, in order, joined into one script.
func readmeScript(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	section, inBlock := "", false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			section = line
		case line == "```sh":
			inBlock = true
			continue
		case line == "```":
			inBlock = false
		}
		if !inBlock {
			continue
		}
		for _, s := range walkthroughSections {
			if strings.HasPrefix(section, s) {
				script.WriteString(line + "\n")
			}
		}
	}
	if script.Len() == 0 {
		t.Fatal("README.md has no walk-through shell blocks")
	}
	return script.String()
}

// buildBinaries builds the real tcd and tcctl into a directory removed
// with the test.
func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", "-o", dir+string(filepath.Separator), "./cmd/tcd", "./cmd/tcctl")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// Issue 18 acceptance 2: the README's walk-through (setup, login, invite,
// accept, transfer-owner, connect agents, CI push, tokens), run as written
// in one shell with the real tcd and tcctl binaries against a fresh tcd.
// Only the addresses change: localhost:8888 and localhost:8000 become the
// ports this tcd listens on.
func TestReadmeWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds tcd and tcctl")
	}
	for _, tool := range []string{"bash", "curl", "od", "head", "tr"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the walk-through needs %s", tool)
		}
	}
	bin := buildBinaries(t)
	home := t.TempDir()
	api, hb := freeTCPPort(t), freeTCPPort(t)
	apiURL, hbURL := "http://127.0.0.1:"+strconv.Itoa(api), "http://127.0.0.1:"+strconv.Itoa(hb)
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"), "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"LANG=C.UTF-8"}

	tcd := exec.Command(filepath.Join(bin, "tcd"))
	tcd.Env = append(env, "TC_HOST=127.0.0.1", "APP_PORT="+strconv.Itoa(api), "HEARTBEAT_PORT="+strconv.Itoa(hb),
		"DATABASE_URL="+filepath.Join(home, "tcd.db"), "TC_LOG_LEVEL=warn")
	var tcdLog bytes.Buffer
	tcd.Stdout, tcd.Stderr = &tcdLog, &tcdLog
	if err := tcd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = tcd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { tcd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = tcd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("tcd log:\n%s", tcdLog.String())
		}
	})
	if _, err := bench.WaitReady(context.Background(), apiURL+"/health/ready", 60*time.Second); err != nil {
		t.Fatalf("tcd not ready: %v\n%s", err, tcdLog.String())
	}

	script := readmeScript(t)
	script = strings.NewReplacer("http://localhost:8888", apiURL, "localhost:8888", strings.TrimPrefix(apiURL, "http://"),
		"http://localhost:8000", hbURL).Replace(script)
	sh := exec.Command("bash", "-euo", "pipefail", "-c", script)
	sh.Dir = "../.." // the README's paths are relative to the repository
	sh.Env = env
	var out bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &out
	if err := sh.Run(); err != nil {
		t.Fatalf("README walk-through failed: %v\nscript:\n%s\noutput:\n%s", err, script, out.String())
	}

	// What the walk-through did, as tcd sees it.
	c, err := client.New(apiURL)
	if err != nil {
		t.Fatal(err)
	}
	login, err := c.Login(bg, tc.LoginRequest{Username: "alice", Password: "alices-password"})
	if err != nil {
		t.Fatalf("alice cannot log in: %v\n%s", err, out.String())
	}
	alice := must[*client.Client](t)(client.New(apiURL, client.WithToken(login.Token)))
	if login.User.Role != tc.RoleOwner {
		t.Errorf("alice is %s, want owner", login.User.Role)
	}
	if root := must[tc.User](t)(alice.GetUser(bg, "root")); root.Role != tc.RoleAdministrator {
		t.Errorf("root is %s, want administrator", root.Role)
	}
	agents := must[tc.List[tc.Agent]](t)(alice.ListAgents(bg, client.AgentFilter{Label: "edge"}))
	if agents.Total != 2 {
		t.Errorf("agents labelled edge: %+v", agents.Items)
	}
	cfg := must[tc.Config](t)(alice.FindConfig(bg, "web"))
	if len(cfg.Labels) != 1 || cfg.Labels[0].Name != "production" {
		t.Errorf("web's labels: %+v", cfg.Labels)
	}
	toks := must[tc.List[tc.Token]](t)(alice.ListTokens(bg, "", tc.Page{Limit: 100}))
	states := map[string]string{}
	for _, k := range toks.Items {
		states[k.Description] = k.State
	}
	if states["CI deploy"] != tc.TokenRevoked || states["linux fleet"] != tc.TokenActive || states["shared"] != tc.TokenActive {
		t.Errorf("token states: %v", states)
	}
	// The configuration file holds both contexts, root's current.
	data, err := os.ReadFile(filepath.Join(home, ".config", "tcctl", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(apiURL, "http://")
	if !regexp.MustCompile(`currentContext: "?`+regexp.QuoteMeta(host)+`"?\n`).Match(data) || !strings.Contains(string(data), "alice@"+host) {
		t.Errorf("configuration file:\n%s", data)
	}
}
