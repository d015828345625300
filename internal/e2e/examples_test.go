package e2e

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// The example agent config in configs/ is accepted by tcd and renders with
// agent_id substituted and ${…} left for Telegraf.
func TestExampleAgentConfig(t *testing.T) {
	data, err := os.ReadFile("../../configs/telegraf-agent.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	owner := d.Setup(t)
	cfg := must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "linux-base", TOML: string(data)}))
	r := must[client.Rendered](t)(owner.RenderConfig(bg, cfg.ID, url.Values{"agent_id": {"web-01"}}))
	if !strings.Contains(r.Body, `hostname = "web-01"`) || !strings.Contains(r.Body, `instance_id = "web-01"`) ||
		!strings.Contains(r.Body, `token = "${TELEGRAF_CONTROLLER_TOKEN}"`) {
		t.Fatalf("rendered:\n%s", r.Body)
	}
}
