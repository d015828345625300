package e2e

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/daemon"
	"github.com/opentc/tc/internal/keyring"
	"github.com/opentc/tc/internal/secrets"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// secretValue is a random value no part of tcd could produce by chance.
func secretValue(t *testing.T, label string) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return label + "-" + hex.EncodeToString(b)
}

// startWithKeyFile starts tcd with the key file at keyPath (a directory of
// the test's own on both engines) and returns it with its configuration.
func startWithKeyFile(t *testing.T, dsn, keyPath string) (*testutil.TCD, config.Config) {
	t.Helper()
	cfg := testutil.DefaultConfig(dsn)
	cfg.KeyFile = keyPath
	return testutil.StartTCDWith(t, cfg, testutil.NewClock()), cfg
}

// getRaw sends a GET with a bearer credential and returns status, body and
// Content-Type.
func getRaw(t *testing.T, url, token string) (int, []byte, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body, resp.Header.Get("Content-Type")
}

// dbBytes is everything the database holds: the SQLite file, its WAL and
// shared memory; on PostgreSQL every row of every table of the test's
// schema.
func dbBytes(t *testing.T, d *testutil.TCD) []byte {
	t.Helper()
	if !store.IsPostgresURL(d.DSN) {
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(d.DSN + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if len(all) == 0 {
			t.Fatal("no database file read")
		}
		return all
	}
	db := d.Store().Gorm(bg)
	var tables []string
	if err := db.Raw("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %d tables found in the schema", len(tables))
	}
	var buf bytes.Buffer
	for _, table := range tables {
		var rows []map[string]any
		if err := db.Raw(`SELECT * FROM "` + table + `"`).Scan(&rows).Error; err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for _, r := range rows {
			for _, v := range r {
				switch x := v.(type) {
				case []byte:
					buf.Write(x)
				case string:
					buf.WriteString(x)
				}
				buf.WriteByte('\n')
			}
		}
	}
	return buf.Bytes()
}

// forms are the encodings a leaked value could take.
func forms(v []byte) [][]byte {
	return [][]byte{v, []byte(hex.EncodeToString(v)), []byte(base64.StdEncoding.EncodeToString(v)), []byte(base64.RawURLEncoding.EncodeToString(v))}
}

func containsAny(hay []byte, needles [][]byte) bool {
	for _, n := range needles {
		if bytes.Contains(hay, n) {
			return true
		}
	}
	return false
}

// Issue 22, acceptance 1 and 2: the values endpoint serves exactly the
// set to a token with secrets:read on it and refuses everybody else; no
// other response, no log line and no byte of the database holds a value,
// and the database holds no key.
func TestSecretsWriteOnlyAndServedToTokens(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		keyPath := filepath.Join(t.TempDir(), "tcd.key")
		d, _ := startWithKeyFile(t, e.DSN, keyPath)
		owner := d.Setup(t)
		setA := map[string]string{"db_password": secretValue(t, "pw"), "influx_token": secretValue(t, "tok"), "tls_key": "-----BEGIN KEY-----\n" + secretValue(t, "pem") + "\n-----END KEY-----"}
		setB := map[string]string{"other": secretValue(t, "other")}
		for n, v := range setA {
			must[tc.Secret](t)(owner.SetSecret(bg, "a", n, v))
		}
		for n, v := range setB {
			must[tc.Secret](t)(owner.SetSecret(bg, "b", n, v))
		}
		// Replacing bumps the version; the value served is the new one.
		old := setA["db_password"]
		setA["db_password"] = secretValue(t, "pw2")
		s := must[tc.Secret](t)(owner.SetSecret(bg, "a", "db_password", setA["db_password"]))
		if s.Version != 2 || s.UpdatedBy != "root" {
			t.Fatalf("replaced secret: %+v", s)
		}
		values := []string{old}
		for _, m := range []map[string]string{setA, setB} {
			for _, v := range m {
				values = append(values, v)
			}
		}

		all := createToken(t, owner, tc.CreateTokenRequest{Description: "agents with secrets", Preset: tc.PresetTelegrafAgentSecrets})
		plain := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent})
		readOnly := createToken(t, owner, tc.CreateTokenRequest{Description: "dashboards", Preset: tc.PresetReadOnly})
		scoped := createToken(t, owner, tc.CreateTokenRequest{Description: "set a only", Permissions: []string{"configs:read", "secrets:read:a"}})
		if got := scoped.Permissions; !reflect.DeepEqual(got, []string{"configs:read", "secrets:read:a"}) {
			t.Fatalf("scoped token permissions: %v", got)
		}

		url := func(set string) string { return d.URL + "/api/secret-sets/" + set + "/values" }
		for _, c := range []struct {
			token, set string
			want       map[string]string
			status     int
		}{
			{all.Raw, "a", setA, 200}, {all.Raw, "b", setB, 200},
			{scoped.Raw, "a", setA, 200}, {scoped.Raw, "b", nil, 403},
			{plain.Raw, "a", nil, 403}, {readOnly.Raw, "a", nil, 403},
			{owner.Token(), "a", nil, 403}, // a session: values are for agents' tokens
			{"", "a", nil, 401},
			{all.Raw, "nope", nil, 404},
		} {
			status, body, ctype := getRaw(t, url(c.set), c.token)
			if status != c.status {
				t.Fatalf("set %s with token %.12s…: %d %s, want %d", c.set, c.token, status, body, c.status)
			}
			if c.want == nil {
				if containsAny(body, [][]byte{[]byte(setA["db_password"]), []byte(setB["other"])}) {
					t.Fatalf("refusal carries a value: %s", body)
				}
				continue
			}
			var got map[string]string
			if err := json.Unmarshal(body, &got); err != nil || !strings.HasPrefix(ctype, "application/json") {
				t.Fatalf("values body %q (%s): %v", body, ctype, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("set %s served %v, want %v", c.set, got, c.want)
			}
		}

		// A config that uses the store: the values stay out of it.
		toml := "[[secretstores.http]]\n  id = \"a\"\n  url = \"" + url("a") + "\"\n  token = \"${TELEGRAF_CONTROLLER_TOKEN}\"\n\n[[outputs.influxdb_v2]]\n  urls = [\"http://influx:8086\"]\n  token = \"@{a:influx_token}\"\n"
		cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "uses-secrets", TOML: toml}))
		if code, _ := postHeartbeat(t, d, "Token "+plain.Raw, hbBody("agent-1", 1)); code != 200 {
			t.Fatalf("heartbeat: %d", code)
		}

		// Every GET route, as the owner and as the agent's token, with the
		// objects above in its path: no answer holds a value.
		fill := strings.NewReplacer(":set", "a", ":name", "db_password", ":id", cfg.ID, ":n", "1", ":alias", "x", ":labelId", "x")
		n := 0
		for _, r := range d.API().Routes() {
			if r.Method != http.MethodGet || strings.HasSuffix(r.Path, "/values") {
				continue
			}
			path := fill.Replace(r.Path)
			if strings.HasPrefix(r.Path, "/api/agents/:id") {
				path = strings.Replace(r.Path, ":id", "agent-1", 1)
			}
			for _, tok := range []string{owner.Token(), all.Raw} {
				_, body, _ := getRaw(t, d.URL+path, tok)
				n++
				for _, v := range values {
					if bytes.Contains(body, []byte(v)) {
						t.Fatalf("GET %s returned a secret value: %s", path, body)
					}
				}
			}
		}
		if n < 40 {
			t.Fatalf("only %d GET requests made: route walk broken", n)
		}
		// The list shows names, versions and authors.
		list := must[[]tc.Secret](t)(owner.ListSecrets(bg, "a"))
		if len(list) != 3 || list[0].Name != "db_password" || list[0].Version != 2 || list[0].CreatedBy != "root" {
			t.Fatalf("list: %+v", list)
		}
		// Every change is audited with set, name and actor, never the value.
		must[tc.Secret](t)(owner.SetSecret(bg, "b", "gone", secretValue(t, "gone")))
		if err := owner.DeleteSecret(bg, "b", "gone"); err != nil {
			t.Fatal(err)
		}
		aud := must[tc.List[tc.AuditEntry]](t)(owner.ListAudit(bg, client.AuditFilter{}))
		var puts, deletes int
		for _, a := range aud.Items {
			switch {
			case a.Action == "PUT /api/secret-sets/:set/secrets/:name" && a.Actor == "root" && strings.Contains(a.Target, "set=a") && strings.Contains(a.Target, "name=db_password"):
				puts++
			case a.Action == "DELETE /api/secret-sets/:set/secrets/:name" && a.Target == "name=gone,set=b":
				deletes++
			}
		}
		if puts != 2 || deletes != 1 {
			t.Fatalf("audit: %d puts of a/db_password, %d deletes of b/gone:\n%+v", puts, deletes, aud.Items)
		}

		// The log and the database.
		logText := []byte(d.Log.String())
		ring, err := keyring.Load(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		k := ring.Primary()
		keyForms := append(forms(k.Secret), forms(k.Derive(secrets.KEKPurpose))...)
		dbText := dbBytes(t, d)
		if !bytes.Contains(dbText, []byte("influx_token")) {
			t.Fatal("the database dump does not even hold the secret names: the search below proves nothing")
		}
		for _, v := range values {
			if bytes.Contains(logText, []byte(v)) {
				t.Fatalf("the tcd log holds a secret value")
			}
			if containsAny(dbText, forms([]byte(v))) {
				t.Fatalf("the database holds a secret value in clear (%s)", e.Name)
			}
		}
		if containsAny(dbText, keyForms) || containsAny(logText, keyForms) {
			t.Fatal("the database or the log holds the key file's key or the key-encryption key")
		}
	})
}

// Issue 22, acceptance 2 and 3: without the key file, or with another one,
// tcd refuses to start and says why; tcd rotate-keys re-encrypts under a
// new key, after which the values are served unchanged and the old key
// opens nothing in the database.
func TestSecretsKeyFileAndRotation(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		keyPath := filepath.Join(t.TempDir(), "tcd.key")
		d, cfg := startWithKeyFile(t, e.DSN, keyPath)
		owner := d.Setup(t)
		want := map[string]string{"one": secretValue(t, "one"), "two": secretValue(t, "two")}
		for n, v := range want {
			must[tc.Secret](t)(owner.SetSecret(bg, "prod", n, v))
		}
		transit := must[tc.SecretCipher](t)(owner.SetSecretCipher(bg, "enc", "AES256/CBC/PKCS#7"))
		must[tc.Secret](t)(owner.SetSecret(bg, "enc", "x", "transit-value"))
		tok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgentSecrets}).Raw
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		oldRing, err := keyring.Load(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		original, err := os.ReadFile(keyPath)
		if err != nil {
			t.Fatal(err)
		}

		refused := func(what, wantMsg string) {
			t.Helper()
			m := daemon.New(cfg)
			m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			ctx, cancel := context.WithTimeout(bg, 30*time.Second)
			defer cancel()
			err := m.Run(ctx)
			_ = m.Close()
			if err == nil || !strings.Contains(err.Error(), wantMsg) || !strings.Contains(err.Error(), oldRing.Primary().ID) {
				t.Fatalf("%s: start gave %v, want a refusal naming the missing key %s and %q", what, err, oldRing.Primary().ID, wantMsg)
			}
		}
		// No key file: refused, and no new key file is made.
		if err := os.Remove(keyPath); err != nil {
			t.Fatal(err)
		}
		refused("without the key file", "does not exist")
		if _, err := os.Stat(keyPath); !os.IsNotExist(err) {
			t.Fatalf("a refused start left a key file behind: %v", err)
		}
		// Another key file: refused.
		other, err := keyring.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyPath, []byte(other.ID+" "+base64.StdEncoding.EncodeToString(other.Secret)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		refused("with another key file", "restore it from your backup")

		// The right file again, then rotate.
		if err := os.WriteFile(keyPath, original, 0o600); err != nil {
			t.Fatal(err)
		}
		oldID, newID, err := daemon.RotateKeys(bg, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		newRing, err := keyring.Load(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		if oldID != oldRing.Primary().ID || newID == oldID || len(newRing.Keys()) != 1 || newRing.Primary().ID != newID {
			t.Fatalf("rotation %s → %s, key file now %d key(s), primary %s", oldID, newID, len(newRing.Keys()), newRing.Primary().ID)
		}

		d2 := testutil.StartTCDWith(t, cfg, testutil.NewClock())
		agent := d2.Client(t, tok)
		if got := must[map[string]string](t)(agent.SecretValues(bg, "prod")); !reflect.DeepEqual(got, want) {
			t.Fatalf("after rotation prod serves %v, want %v", got, want)
		}
		enc := must[map[string]string](t)(agent.SecretValues(bg, "enc"))
		if got := decryptTransit(t, transit, enc["x"]); got != "transit-value" {
			t.Fatalf("after rotation the transit key changed: %q", got)
		}
		if n, err := secrets.OpenableWith(bg, d2.Store(), oldRing.Primary()); err != nil || n != 0 {
			t.Fatalf("the old key still opens %d item(s) (%v)", n, err)
		}
		if n, err := secrets.OpenableWith(bg, d2.Store(), newRing.Primary()); err != nil || n != 4 {
			t.Fatalf("the new key opens %d item(s), want 4 (3 values, 1 transit key) (%v)", n, err)
		}
		// Values written after the rotation use the new key too.
		owner2 := login(t, d2, "root", "rootpass1")
		must[tc.Secret](t)(owner2.SetSecret(bg, "prod", "three", "v3"))
		if n, _ := secrets.OpenableWith(bg, d2.Store(), newRing.Primary()); n != 5 {
			t.Fatalf("after a new write the new key opens %d item(s), want 5", n)
		}
		// The audit chain was re-sealed with the new key (issue 15): it
		// verifies, and every entry names the new key.
		if rep := must[tc.AuditVerifyReport](t)(owner2.VerifyAudit(bg, "")); !rep.OK || rep.Entries < 5 {
			t.Fatalf("audit chain after rotation: %+v", rep)
		}
		var stale int64
		if err := d2.Store().Gorm(bg).Table("audit_log").Where("key_id <> ?", newID).Count(&stale).Error; err != nil || stale != 0 {
			t.Fatalf("%d audit entries not sealed with the new key (%v)", stale, err)
		}
	})
}

// decryptTransit undoes secretstores.http's cipher with the parameters the
// plugin documents: cipher = "AES256/CBC/PKCS#7", key and init_vector in
// hex; each value base64 (standard), AES-256-CBC, PKCS#7 padding.
func decryptTransit(t *testing.T, c tc.SecretCipher, value string) string {
	t.Helper()
	key, err := hex.DecodeString(c.Key)
	if err != nil || len(key) != 32 {
		t.Fatalf("key %q is not 64 hex digits", c.Key)
	}
	iv, err := hex.DecodeString(c.InitVector)
	if err != nil || len(c.InitVector) != 2*aes.BlockSize {
		t.Fatalf("init_vector %q is not 32 hex digits", c.InitVector)
	}
	data, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(data) == 0 || len(data)%aes.BlockSize != 0 {
		t.Fatalf("value %q is not base64 of whole AES blocks", value)
	}
	block, _ := aes.NewCipher(key)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(data, data)
	pad := int(data[len(data)-1])
	if pad < 1 || pad > aes.BlockSize || !bytes.Equal(data[len(data)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		t.Fatalf("bad PKCS#7 padding %d", pad)
	}
	return string(data[:len(data)-pad])
}

// Issue 22, acceptance 4: the body is what secretstores.http reads — one
// flat JSON object of strings — and with cipher set each value decrypts
// with the plugin's documented parameters; the config block tcctl prints
// names the plugin's own options.
func TestSecretsServedInSecretstoresHTTPFormat(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		want := map[string]string{"user_1": "password A", "user_2": "my$3cR3T €", "exactly16bytes__": "0123456789abcdef", "long": strings.Repeat("x", 1000)}
		for n, v := range want {
			must[tc.Secret](t)(owner.SetSecret(bg, "store", n, v))
		}
		tok := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Permissions: []string{"secrets:read:store"}}).Raw
		url := d.URL + "/api/secret-sets/store/values"

		check := func() map[string]string {
			t.Helper()
			status, body, ctype := getRaw(t, url, tok)
			if status != 200 || !strings.HasPrefix(ctype, "application/json") {
				t.Fatalf("values: %d %s %s", status, ctype, body)
			}
			var generic any
			if err := json.Unmarshal(body, &generic); err != nil {
				t.Fatal(err)
			}
			obj, ok := generic.(map[string]any)
			if !ok {
				t.Fatalf("body is not a JSON object: %s", body)
			}
			out := map[string]string{}
			for k, v := range obj {
				s, ok := v.(string)
				if !ok {
					t.Fatalf("value of %q is %T, not a string: the plugin reads map[string]string", k, v)
				}
				out[k] = s
			}
			return out
		}
		if got := check(); !reflect.DeepEqual(got, want) {
			t.Fatalf("plain: %v", got)
		}

		c := must[tc.SecretCipher](t)(owner.SetSecretCipher(bg, "store", "AES256/CBC/PKCS#7"))
		if c.Cipher != "AES256/CBC/PKCS#7" {
			t.Fatalf("cipher %q", c.Cipher)
		}
		got := check()
		if len(got) != len(want) {
			t.Fatalf("encrypted: %v", got)
		}
		for n, v := range got {
			if v == want[n] {
				t.Fatalf("%s served in clear with a cipher set", n)
			}
			if plain := decryptTransit(t, c, v); plain != want[n] {
				t.Fatalf("%s decrypts to %q, want %q", n, plain, want[n])
			}
		}
		// A new key: the old one no longer decrypts what is served.
		c2 := must[tc.SecretCipher](t)(owner.SetSecretCipher(bg, "store", "AES256/CBC/PKCS#7"))
		if c2.Key == c.Key || c2.InitVector == c.InitVector {
			t.Fatal("a cipher change kept the key")
		}
		if plain := decryptTransit(t, c2, check()["user_1"]); plain != "password A" {
			t.Fatalf("new key decrypts to %q", plain)
		}
		// Back to none: plain again.
		must[tc.SecretCipher](t)(owner.SetSecretCipher(bg, "store", "none"))
		if got := check(); !reflect.DeepEqual(got, want) {
			t.Fatalf("after none: %v", got)
		}
		// The set list says the cipher, never a key.
		sets := must[[]tc.SecretSet](t)(owner.ListSecretSets(bg))
		if len(sets) != 1 || sets[0].Cipher != "none" || sets[0].Secrets != len(want) {
			t.Fatalf("sets: %+v", sets)
		}

		// tcctl: secret set reads the value from stdin (never an argument),
		// list shows no value, use prints the plugin's block.
		profile := filepath.Join(t.TempDir(), "p.yaml")
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		r := tcctl(t, profile, "from-stdin-value\n", env, "secret", "set", "store", "piped")
		if r.code != 0 {
			t.Fatalf("secret set: %d %s", r.code, r.stderr)
		}
		if got := check()["piped"]; got != "from-stdin-value" {
			t.Fatalf("piped value served as %q", got)
		}
		if r := tcctl(t, profile, "", env, "secret", "set", "store", "piped", "value-as-argument"); r.code == 0 {
			t.Fatal("secret set took the value as an argument")
		}
		r = tcctl(t, profile, "", env, "secret", "list", "store")
		if r.code != 0 || !strings.Contains(r.stdout, "piped") || strings.Contains(r.stdout, "from-stdin-value") || strings.Contains(r.stdout, "password A") {
			t.Fatalf("secret list: %d %s %s", r.code, r.stdout, r.stderr)
		}
		// config use adds the block for a store the config references but
		// does not declare.
		must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "refs", TOML: "[[outputs.influxdb_v2]]\n  urls = [\"http://influx:8086\"]\n  token = \"@{store:user_1}\"\n"}))
		r = tcctl(t, profile, "", env, "config", "use", "refs")
		if r.code != 0 || !strings.Contains(r.stdout, "[[secretstores.http]]") || !strings.Contains(r.stdout, `url = "`+url+`"`) || !strings.Contains(r.stdout, `token = "${TELEGRAF_CONTROLLER_TOKEN}"`) {
			t.Fatalf("config use: %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		r = tcctl(t, profile, "", env, "secret", "use", "store")
		for _, line := range []string{`[[secretstores.http]]`, `id = "store"`, `url = "` + url + `"`, `token = "${TELEGRAF_CONTROLLER_TOKEN}"`} {
			if !strings.Contains(r.stdout, line) {
				t.Fatalf("secret use lacks %q:\n%s", line, r.stdout)
			}
		}
		// cipher prints the plugin's options once; the key decrypts.
		r = tcctl(t, profile, "", env, "secret", "cipher", "store", "AES256/CBC/PKCS#7")
		var key, iv string
		for _, l := range strings.Split(r.stdout, "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(l), " = "); ok {
				switch k {
				case "key":
					key = strings.Trim(v, `"`)
				case "init_vector":
					iv = strings.Trim(v, `"`)
				}
			}
		}
		if r.code != 0 || !strings.Contains(r.stdout, `cipher = "AES256/CBC/PKCS#7"`) || !strings.Contains(r.stdout, "[secretstores.http.aes]") {
			t.Fatalf("secret cipher: %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		if got := decryptTransit(t, tc.SecretCipher{Key: key, InitVector: iv}, check()["piped"]); got != "from-stdin-value" {
			t.Fatalf("the printed key decrypts to %q", got)
		}
		// delete: confirmation required off a terminal, then gone.
		if r := tcctl(t, profile, "", env, "secret", "delete", "store", "piped"); r.code == 0 {
			t.Fatal("secret delete without --yes off a terminal succeeded")
		}
		if r := tcctl(t, profile, "", env, "secret", "delete", "store", "piped", "--yes"); r.code != 0 {
			t.Fatalf("secret delete: %d %s", r.code, r.stderr)
		}
		if _, ok := check()["piped"]; ok {
			t.Fatal("deleted secret still served")
		}
		if r := tcctl(t, profile, "", env, "secret", "delete", "store", "--all", "--yes"); r.code != 0 {
			t.Fatalf("secret delete --all: %d %s", r.code, r.stderr)
		}
		if status, _, _ := getRaw(t, url, tok); status != 404 {
			t.Fatalf("deleted set: %d", status)
		}
	})
}

// Issue 22: config lint warns about a reference to a secret that the tcd
// set its store reads does not hold, and says nothing once it exists.
func TestSecretsConfigLint(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	owner := d.Setup(t)
	must[tc.Secret](t)(owner.SetSecret(bg, "prod", "influx_token", "v"))
	toml := "[[secretstores.http]]\n  id = \"vault\"\n  url = \"https://tcd.example.com/api/secret-sets/prod/values\"\n  token = \"${TELEGRAF_CONTROLLER_TOKEN}\"\n\n" +
		"[[outputs.influxdb_v2]]\n  urls = [\"http://influx:8086\"]\n  token = \"@{vault:influx_token}\"\n  # a comment naming @{vault:commented_out}\n\n" +
		"[[inputs.postgresql]]\n  address = \"postgres://u:@{vault:db_password}@db/postgres\"\n\n" +
		"[[inputs.mysql]]\n  servers = [\"@{other:x}\"]\n"
	cfg, err := owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "lint", TOML: toml})
	if err != nil {
		t.Fatal(err)
	}
	var hits []tc.ConfigProblem
	for _, w := range cfg.Warnings {
		if w.Code == "secret-missing" {
			hits = append(hits, w)
		}
	}
	if len(hits) != 1 || hits[0].Line != 12 || !strings.Contains(hits[0].Message, "db_password") || !strings.Contains(hits[0].Message, `"prod"`) {
		t.Fatalf("warnings: %+v", cfg.Warnings)
	}
	must[tc.Secret](t)(owner.SetSecret(bg, "prod", "db_password", "v"))
	cfg2, err := owner.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: ptr(toml + "# v2\n")})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range cfg2.Warnings {
		if w.Code == "secret-missing" {
			t.Fatalf("warning after the secret exists: %+v", w)
		}
	}

	// In a group, one member may declare the store and another use it.
	store := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "store", TOML: "[[secretstores.http]]\n  id = \"vault\"\n  url = \"https://tcd.example.com/api/secret-sets/prod/values\"\n"}))
	user := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "user", TOML: "[[outputs.influxdb_v2]]\n  urls = [\"http://influx:8086\"]\n  token = \"@{vault:nope}\"\n"}))
	g := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "both", Members: []string{store.ID, user.ID}}))
	var groupHits []tc.ConfigProblem
	for _, w := range g.Warnings {
		if w.Code == "secret-missing" {
			groupHits = append(groupHits, w)
		}
	}
	if len(groupHits) != 1 || groupHits[0].Line != 3 || groupHits[0].Kind != "group" || groupHits[0].Member != "user" || !strings.Contains(groupHits[0].Message, "nope") {
		t.Fatalf("group warnings: %+v", g.Warnings)
	}
}
