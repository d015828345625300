package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/opentc/tc/internal/api"
	"github.com/opentc/tc/internal/testutil"
)

// Acceptance 2 (operability): the served OpenAPI document validates with
// kin-openapi, holds every registered route, and every operation in it is
// a registered route.
func TestOpenAPIDocument(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	resp, err := http.Get(d.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3: %v", err)
	}
	registered := map[string]bool{}
	for _, r := range d.API().Routes() {
		key := r.Method + " " + api.OpenAPIPath(r.Path)
		registered[key] = true
		item := doc.Paths.Find(api.OpenAPIPath(r.Path))
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("route %s is missing from the document", key)
			continue
		}
		op := item.GetOperation(r.Method)
		if r.Public != (op.Security != nil && len(*op.Security) == 0) {
			t.Errorf("%s: security does not match the allowlist", key)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !registered[method+" "+path] {
				t.Errorf("the document has %s %s, which is not a registered route", method, path)
			}
		}
	}
	// Shapes documented for routes that do not exist would rot: none allowed.
	for _, k := range api.SortedShapeKeys() {
		method, path, _ := strings.Cut(k, " ")
		if !registered[method+" "+api.OpenAPIPath(path)] {
			t.Errorf("shape for unregistered route %s", k)
		}
	}
	if s := doc.Paths.Find("/api/tokens").Post.RequestBody.Value.Content.Get("application/json").Schema.Value; s.Properties["description"] == nil || s.Properties["preset"] == nil {
		t.Errorf("token create body schema: %+v", s.Properties)
	}
}
