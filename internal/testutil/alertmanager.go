package testutil

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Alertmanager is a real Prometheus Alertmanager started for one test, on
// 127.0.0.1 on a free port with a temporary storage directory, clustering
// off. .ci/alertmanager (make test) installs Debian's
// prometheus-alertmanager when it is missing.
type Alertmanager struct {
	URL string // e.g. http://127.0.0.1:41234
}

// alertmanagerConfig routes everything to a receiver that does nothing:
// tests read the alerts back through the API.
const alertmanagerConfig = `route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
`

// StartAlertmanager starts Alertmanager and stops it at cleanup. Without
// the binary the test is skipped, or fails under CI=true.
func StartAlertmanager(t testing.TB) *Alertmanager {
	t.Helper()
	bin := ""
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		msg := "Prometheus Alertmanager is not installed (prometheus-alertmanager); run `make alertmanager` (.ci/alertmanager installs Debian's package)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(alertmanagerConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := freePort(t)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		out := &SyncBuffer{}
		cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, fmt.Sprint("data", attempt)),
			"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start alertmanager: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		var once sync.Once
		stop := func() {
			once.Do(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
		}
		am := &Alertmanager{URL: "http://" + addr}
		if err := am.waitReady(exited, 20*time.Second); err != nil {
			stop()
			lastErr = fmt.Errorf("%v\n%s", err, out.String())
			continue
		}
		t.Cleanup(func() {
			stop()
			if t.Failed() {
				t.Logf("alertmanager log:\n%s", out.String())
			}
		})
		return am
	}
	t.Fatalf("alertmanager did not start: %v", lastErr)
	return nil
}

func (a *Alertmanager) waitReady(exited <-chan struct{}, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("alertmanager exited at start")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", a.URL+"/-/ready", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("alertmanager not ready after %s", d)
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
