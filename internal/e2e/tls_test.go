package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tcd test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// Acceptance 4 (operability): both listeners serve HTTPS with the
// configured certificate; pkg/client and tcctl work with --ca-cert.
func TestTLS(t *testing.T) {
	certFile, keyFile := selfSigned(t)
	cfg := testutil.DefaultConfig(testutil.SQLiteDSN(t))
	cfg.TLSCert, cfg.TLSKey = certFile, keyFile
	d := testutil.StartTCDWith(t, cfg, testutil.NewClock())
	if !strings.HasPrefix(d.URL, "https://") || !strings.HasPrefix(d.HeartbeatURL(), "https://") {
		t.Fatalf("URLs %s %s", d.URL, d.HeartbeatURL())
	}
	// Without the CA the certificate is refused.
	if _, err := http.Get(d.URL + "/health/ready"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate accepted: %v", err)
	}
	// Plain HTTP to the TLS port does not work.
	if resp, err := http.Get(strings.Replace(d.URL, "https", "http", 1) + "/health/ready"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP served on the TLS port")
	}
	anon, err := client.New(d.URL, client.WithCACert(certFile))
	if err != nil {
		t.Fatal(err)
	}
	if h, err := anon.Ready(bg); err != nil || h.Ready == nil || !*h.Ready {
		t.Fatalf("ready over HTTPS: %+v %v", h, err)
	}
	resp, err := anon.Setup(bg, tc.SetupRequest{Username: "root", Email: "root@example.com", Password: "rootpass1"})
	if err != nil {
		t.Fatal(err)
	}
	owner, _ := client.New(d.URL, client.WithCACert(certFile), client.WithToken(resp.Token))
	tok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent}).Raw
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("POST", d.HeartbeatURL()+"/agents/heartbeat", strings.NewReader(hbBody("tls-agent", 1)))
	req.Header.Set("Authorization", "Bearer "+tok)
	hr, err := hc.Do(req)
	if err != nil || hr.StatusCode != 200 {
		t.Fatalf("heartbeat over HTTPS: %v %v", hr, err)
	}
	hr.Body.Close()
	must[tc.Agent](t)(owner.GetAgent(bg, "tls-agent"))

	// tcctl: --ca-cert on login is remembered in the profile.
	profile := filepath.Join(t.TempDir(), "p.yaml")
	if r := tcctl(t, profile, "rootpass1\n", map[string]string{"TCCTL_URL": d.URL}, "login", "--username", "root", "--password-stdin"); r.code == 0 {
		t.Fatalf("login without the CA succeeded")
	}
	if r := tcctl(t, profile, "rootpass1\n", map[string]string{"TCCTL_URL": d.URL}, "login", "--username", "root", "--password-stdin", "--ca-cert", certFile); r.code != 0 {
		t.Fatalf("login with --ca-cert: %d %s", r.code, r.stderr)
	}
	if r := tcctl(t, profile, "", nil, "whoami"); r.code != 0 || !strings.Contains(r.stdout, "root") {
		t.Fatalf("whoami with the remembered CA: %d %s %s", r.code, r.stdout, r.stderr)
	}
}
