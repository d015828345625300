package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Configs CRUD over the API: validation with line and column (nothing
// stored), unique names, placeholders valid inside strings, versions only on
// TOML change, note limits and edits, prune rules, list filters, labels
// (single and bulk), and the route table's permissions (viewers read only).
func TestConfigsAPI(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)

		_, err := c.CreateConfig(bg, tc.CreateConfigRequest{Name: "bad", TOML: "[agent]\ninterval = True\n"})
		wantCode(t, err, tc.EInvalid, 400)
		te := err.(*tc.Error)
		if te.Details["line"] != float64(2) || te.Details["column"] == nil || !strings.Contains(te.Message, "line 2") {
			t.Fatalf("TOML error without position: %v %v", te.Message, te.Details)
		}
		if l := must[tc.List[tc.Config]](t)(c.ListConfigs(bg, client.ConfigFilter{})); l.Total != 0 {
			t.Fatal("invalid TOML was stored")
		}
		for _, req := range []tc.CreateConfigRequest{
			{Name: "", TOML: "[agent]\na = 1"},
			{Name: "x", TOML: ""},
			{Name: "x", TOML: "[agent]\na = 1", Note: strings.Repeat("n", 1001)},
			{Name: "x", TOML: "[agent]\na = 1", Description: strings.Repeat("d", 501)},
			{Name: "x", TOML: "[agent]\na = 1", ID: "has space"},
			{Name: "x", TOML: "[agent]\na = 1", Labels: []string{"no-such-label"}},
		} {
			_, err := c.CreateConfig(bg, req)
			wantCode(t, err, tc.EInvalid, 400)
		}
		// Unknown fields are refused (strict decoding).
		err = c.Do(bg, http.MethodPost, "/api/configs", nil, map[string]any{"name": "x", "toml": "a = 1", "tomll": "typo"}, nil)
		wantCode(t, err, tc.EInvalid, 400)

		prod := must[tc.Label](t)(c.CreateLabel(bg, tc.LabelRequest{Name: "production", Description: "Production fleet", Color: "#3B82F6"}))
		if prod.Color != "#3b82f6" {
			t.Fatalf("color %q", prod.Color)
		}
		for _, req := range []tc.LabelRequest{{Name: ""}, {Name: strings.Repeat("l", 101)}, {Name: "c", Color: "blue"}, {Name: "d", Description: strings.Repeat("x", 501)}} {
			_, err := c.CreateLabel(bg, req)
			wantCode(t, err, tc.EInvalid, 400)
		}
		_, err = c.CreateLabel(bg, tc.LabelRequest{Name: "production"})
		wantCode(t, err, tc.EConflict, 409)
		staging := must[tc.Label](t)(c.CreateLabel(bg, tc.LabelRequest{Name: "staging"}))
		dup := "production"
		_, err = c.UpdateLabel(bg, staging.ID, tc.UpdateLabelRequest{Name: &dup})
		wantCode(t, err, tc.EConflict, 409)

		must[tc.Constant](t)(c.SetConstant(bg, "c", "v"))
		tmpl := "[[outputs.heartbeat]]\n  instance_id = \"&{agent_id}\"\n  token = \"${TELEGRAF_CONTROLLER_TOKEN}\"\n  x = \"::{c}\"\n"
		web := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", Description: "Web servers", TOML: tmpl, Labels: []string{"production"}}))
		if web.Version != 1 || len(web.Labels) != 1 || web.Labels[0].ID != prod.ID {
			t.Fatalf("created: %+v", web)
		}
		_, err = c.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: "[agent]\na = 1"})
		wantCode(t, err, tc.EConflict, 409)
		db := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "db", TOML: "[agent]\na = 1\n"}))

		// Metadata and identical TOML make no version; a change does.
		desc := "new description"
		same := tmpl
		got := must[tc.Config](t)(c.UpdateConfig(bg, web.ID, tc.UpdateConfigRequest{Description: &desc, TOML: &same}))
		if got.Version != 1 || got.Description != desc {
			t.Fatalf("metadata change: %+v", got)
		}
		rename := "db"
		_, err = c.UpdateConfig(bg, web.ID, tc.UpdateConfigRequest{Name: &rename})
		wantCode(t, err, tc.EConflict, 409)
		for i := 2; i <= 4; i++ {
			toml := tmpl + strings.Repeat("# more\n", i)
			note := "change " + string(rune('0'+i))
			if got := must[tc.Config](t)(c.UpdateConfig(bg, web.ID, tc.UpdateConfigRequest{TOML: &toml, Note: &note})); got.Version != i {
				t.Fatalf("version %d", got.Version)
			}
		}
		v := must[tc.ConfigVersion](t)(c.SetVersionNote(bg, web.ID, 2, "edited"))
		if v.Note != "edited" || v.Current {
			t.Fatalf("note edit: %+v", v)
		}
		_, err = c.SetVersionNote(bg, web.ID, 2, strings.Repeat("n", 1001))
		wantCode(t, err, tc.EInvalid, 400)
		_, err = c.ConfigVersion(bg, web.ID, 99)
		wantCode(t, err, tc.ENotFound, 404)
		_, err = c.RollbackConfig(bg, web.ID, tc.RollbackRequest{Version: 4})
		wantCode(t, err, tc.EInvalid, 400)
		if d := must[tc.ConfigDiff](t)(c.DiffConfig(bg, web.ID, 1, 4)); !strings.Contains(d.Diff, "+# more") {
			t.Fatalf("diff: %s", d.Diff)
		}
		// Prune never deletes the current version, even when asked to.
		if r := must[tc.PruneResult](t)(c.PruneVersions(bg, web.ID, 100)); r.Deleted != 3 {
			t.Fatalf("pruned %d", r.Deleted)
		}
		if vs := must[[]tc.ConfigVersion](t)(c.ConfigVersions(bg, web.ID)); len(vs) != 1 || vs[0].Version != 4 || !vs[0].Current {
			t.Fatalf("after prune: %+v", vs)
		}
		if r := must[tc.PruneResult](t)(c.PruneVersions(bg, db.ID, 5)); r.Deleted != 0 {
			t.Fatal("the only version was pruned")
		}

		// List: search, label, exact name, sort, paging.
		list := must[tc.List[tc.Config]](t)(c.ListConfigs(bg, client.ConfigFilter{Search: "DESCRIPTION"}))
		if list.Total != 1 || list.Items[0].ID != web.ID {
			t.Fatalf("search: %+v", list)
		}
		if list := must[tc.List[tc.Config]](t)(c.ListConfigs(bg, client.ConfigFilter{Label: "production"})); list.Total != 1 {
			t.Fatalf("label filter: %+v", list)
		}
		if list := must[tc.List[tc.Config]](t)(c.ListConfigs(bg, client.ConfigFilter{Name: "db"})); list.Total != 1 || list.Items[0].ID != db.ID {
			t.Fatalf("name lookup: %+v", list)
		}
		list = must[tc.List[tc.Config]](t)(c.ListConfigs(bg, client.ConfigFilter{Sort: "name", Desc: true, Page: tc.Page{Limit: 1}}))
		if list.Total != 2 || len(list.Items) != 1 || list.Items[0].Name != "web" {
			t.Fatalf("sort and page: %+v", list)
		}
		_, err = c.ListConfigs(bg, client.ConfigFilter{Sort: "toml"})
		wantCode(t, err, tc.EInvalid, 400)

		// Labels: single and bulk assignment, removal, delete everywhere.
		if err := c.Do(bg, http.MethodPut, "/api/configs/"+db.ID+"/labels/"+staging.ID, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.SetConfigLabels(bg, true, tc.BulkLabelsRequest{IDs: []string{web.ID, db.ID}, LabelIDs: []string{staging.ID, prod.ID}}); err != nil {
			t.Fatal(err)
		}
		if got := must[tc.Config](t)(c.GetConfig(bg, db.ID)); len(got.Labels) != 2 {
			t.Fatalf("bulk assign: %+v", got.Labels)
		}
		if err := c.SetConfigLabels(bg, false, tc.BulkLabelsRequest{IDs: []string{web.ID, db.ID}, LabelIDs: []string{prod.ID}}); err != nil {
			t.Fatal(err)
		}
		if err := c.Do(bg, http.MethodDelete, "/api/configs/"+db.ID+"/labels/"+staging.ID, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if got := must[tc.Config](t)(c.GetConfig(bg, db.ID)); len(got.Labels) != 0 {
			t.Fatalf("after removal: %+v", got.Labels)
		}
		if err := c.DeleteLabel(bg, staging.ID); err != nil {
			t.Fatal(err)
		}
		if got := must[tc.Config](t)(c.GetConfig(bg, web.ID)); len(got.Labels) != 0 {
			t.Fatalf("deleted label still assigned: %+v", got.Labels)
		}

		// A viewer reads but cannot write; a missing permission is a 403 naming it.
		viewer, _ := invite(t, d, c, "vera", tc.RoleViewer)
		must[tc.Config](t)(viewer.GetConfig(bg, web.ID))
		_, err = viewer.CreateConfig(bg, tc.CreateConfigRequest{Name: "v", TOML: "[agent]\na = 1"})
		wantCode(t, err, tc.EForbidden, 403)
		if !strings.Contains(err.Error(), "configs:write") {
			t.Fatalf("403 does not name the permission: %v", err)
		}
		_, err = viewer.CreateLabel(bg, tc.LabelRequest{Name: "v"})
		wantCode(t, err, tc.EForbidden, 403)

		// Delete: without agents the guard lets it through; the ID is gone.
		if err := c.DeleteConfig(bg, db.ID, false); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetConfig(bg, db.ID)
		wantCode(t, err, tc.ENotFound, 404)
	})
}
