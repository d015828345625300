package configs_test

import (
	"fmt"
	"math/rand"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// Issue 16 acceptance 3, a property: for random templates, constants and
// parameter values, whatever tcd accepts renders — for every config and
// every group, with any query — to something Telegraf's parser loads (or
// the fetch is refused with a 400). Placeholders stand in every TOML
// context: basic, literal and multi-line strings, bare values, keys and
// comments; values carry quotes, backslashes, TABs, braces and Unicode.
func TestPropertyRenderedOutputLoads(t *testing.T) {
	svc, _ := newService(t, testutil.SQLiteDSN(t), configs.Options{})
	seed := int64(16)
	if v := os.Getenv("TC_PROPERTY_SEED"); v != "" { // to explore: TC_PROPERTY_SEED=n go test -run Property
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	rng := rand.New(rand.NewSource(seed))
	var accepted, refused, fetched, fetchRefused int
	var cfgIDs, groupIDs []string
	const rounds = 100
	for i := 0; i < rounds; i++ {
		switch rng.Intn(4) {
		case 0:
			name := fmt.Sprintf("c%d", rng.Intn(4))
			if _, _, err := svc.SetConstant(bg, name, randomValue(rng), false); err != nil {
				refused++
				requireRefusal(t, err)
			}
		case 1, 2:
			tmpl := randomTemplate(rng)
			cfg, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: fmt.Sprintf("cfg-%d", i), TOML: tmpl})
			if err != nil {
				refused++
				requireRefusal(t, err)
				continue
			}
			accepted++
			cfgIDs = append(cfgIDs, cfg.ID)
		case 3:
			if len(cfgIDs) == 0 {
				continue
			}
			var members []string
			for k := 0; k < 1+rng.Intn(3); k++ {
				members = append(members, cfgIDs[rng.Intn(len(cfgIDs))])
			}
			g, err := svc.CreateGroup(bg, tc.GroupRequest{Name: fmt.Sprintf("g-%d", i), Members: members})
			if err != nil {
				refused++
				requireRefusal(t, err)
				continue
			}
			groupIDs = append(groupIDs, g.ID)
		}
		if i%4 != 3 && i != rounds-1 {
			continue
		}
		// Every config and group, as an agent fetches it now.
		check := func(kind, id string, r *configs.Rendered, err error) {
			if err != nil {
				if !tc.IsCode(err, tc.EInvalid) {
					t.Fatalf("%s %s: fetch failed with %v", kind, id, err)
				}
				fetchRefused++
				return
			}
			fetched++
			if _, verr := render.Validate(string(r.Body), render.Check{}); verr != nil {
				t.Fatalf("%s %s renders to TOML Telegraf refuses: %v\n%s", kind, id, verr, r.Body)
			}
		}
		q := randomQuery(rng)
		for _, id := range cfgIDs {
			r, err := svc.RenderConfig(bg, id, q)
			check("config", id, r, err)
		}
		for _, id := range groupIDs {
			r, err := svc.RenderGroup(bg, id, q)
			check("group", id, r, err)
		}
	}
	t.Logf("%d configs accepted, %d writes refused, %d groups; %d renders checked, %d fetches refused", accepted, refused, len(groupIDs), fetched, fetchRefused)
	if accepted < 10 || fetched < 50 {
		t.Fatalf("the generator is too hostile: %d accepted, %d renders", accepted, fetched)
	}
}

func requireRefusal(t *testing.T, err error) {
	t.Helper()
	if c := tc.ErrorCode(err); c != tc.EInvalid && c != tc.EConflict {
		t.Fatalf("a write failed with %v", err)
	}
}

var valueAlphabet = []string{"a", "b", "Z", "0", "9", " ", "\"", "'", "\\", "\t", "{", "}", "$", "#", "[", "]", ",", "=", ".", "-", "_", "é", "✓", "::{c0}", "&{p0}", "${HOME}", "\\t", "'''", "\"\"\""}

func randomValue(rng *rand.Rand) string {
	switch rng.Intn(6) {
	case 0:
		return fmt.Sprint(rng.Intn(100000))
	case 1:
		return []string{"true", "false", `["a", "b"]`, "1.5", "{ x = 1 }"}[rng.Intn(5)]
	}
	var b strings.Builder
	for n := rng.Intn(8); n > 0; n-- {
		b.WriteString(valueAlphabet[rng.Intn(len(valueAlphabet))])
	}
	return b.String()
}

func randomQuery(rng *rand.Rand) url.Values {
	q := url.Values{}
	for i := 0; i < 4; i++ {
		switch n := rng.Intn(20); {
		case n < 14:
			q.Set(fmt.Sprintf("p%d", i), randomValue(rng))
		case n < 17:
			q[fmt.Sprintf("p%d", i)] = []string{randomValue(rng), randomValue(rng)}
		}
	}
	return q
}

func placeholder(rng *rand.Rand) string {
	switch rng.Intn(3) {
	case 0:
		return fmt.Sprintf("::{c%d}", rng.Intn(4))
	case 1:
		return fmt.Sprintf("&{p%d}", rng.Intn(4))
	}
	def := strings.NewReplacer("}", "", "\n", "", "\t", " ").Replace(randomValue(rng))
	return fmt.Sprintf("&{p%d:%s}", rng.Intn(4), def)
}

func fragment(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.Intn(3); n >= 0; n-- {
		if rng.Intn(2) == 0 {
			b.WriteString(placeholder(rng))
		} else {
			b.WriteString([]string{"x", "path/", "v-1", " ", "é"}[rng.Intn(5)])
		}
	}
	return b.String()
}

func randomTemplate(rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString([]string{"[agent]\n", "[global_tags]\n", "[[inputs.mem]]\n", "[[outputs.file]]\n"}[rng.Intn(4)])
	for n := 1 + rng.Intn(6); n > 0; n-- {
		k := fmt.Sprintf("k%d", rng.Intn(1000000))
		switch rng.Intn(9) {
		case 0:
			fmt.Fprintf(&b, "  %s = \"%s\"\n", k, fragment(rng))
		case 1:
			fmt.Fprintf(&b, "  %s = '%s'\n", k, fragment(rng))
		case 2:
			fmt.Fprintf(&b, "  %s = \"\"\"\n%s\n\"\"\"\n", k, fragment(rng))
		case 3:
			fmt.Fprintf(&b, "  %s = '''%s\n'''\n", k, fragment(rng))
		case 4:
			fmt.Fprintf(&b, "  %s = %s\n", k, placeholder(rng))
		case 5:
			fmt.Fprintf(&b, "  # note %s\n", fragment(rng))
		case 6:
			fmt.Fprintf(&b, "  %s = [\"%s\", '%s']\n", k, fragment(rng), fragment(rng))
		case 7:
			fmt.Fprintf(&b, "  %s_%s = 1\n", k, placeholder(rng))
		case 8:
			fmt.Fprintf(&b, "  %s = { a = \"%s\", b = %s }\n", k, fragment(rng), placeholder(rng))
		}
	}
	return b.String()
}
