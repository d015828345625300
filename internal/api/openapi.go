package api

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/internal/version"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// shape is what one route takes and answers, for the OpenAPI document.
type shape struct {
	in     any // request body type (nil: none)
	out    any // response body type (nil: no body)
	status int // success status (default 200)
	toml   bool
	text   bool
}

type healthBody struct {
	Status string `json:"status,omitempty"`
	Ready  *bool  `json:"ready,omitempty"`
	Leader *bool  `json:"leader,omitempty"`
}

type transferBody struct {
	Owner         tc.User `json:"owner"`
	PreviousOwner tc.User `json:"previousOwner"`
}

type movedBody struct {
	MovedAgents int `json:"movedAgents"`
}

// shapes documents every route, keyed "METHOD path". A registered route
// missing here fails the OpenAPI test, so the document cannot drift.
var shapes = map[string]shape{
	"GET /health/live":      {out: healthBody{}},
	"GET /health/ready":     {out: healthBody{}},
	"GET /health/leader":    {out: healthBody{}},
	"GET /metrics":          {text: true},
	"GET /api/openapi.json": {out: map[string]any{}},

	"GET /api/rollouts":             {out: tc.List[tc.Rollout]{}},
	"POST /api/rollouts":            {in: tc.StartRolloutRequest{}, out: tc.Rollout{}, status: 201},
	"GET /api/rollouts/:id":         {out: tc.Rollout{}},
	"POST /api/rollouts/:id/pause":  {in: tc.RolloutActionRequest{}, out: tc.Rollout{}},
	"POST /api/rollouts/:id/resume": {in: tc.RolloutActionRequest{}, out: tc.Rollout{}},
	"POST /api/rollouts/:id/abort":  {in: tc.RolloutActionRequest{}, out: tc.Rollout{}},
	"GET /api/configs/:id/serving":  {out: tc.ConfigServing{}},

	"POST /api/auth/setup":          {in: tc.SetupRequest{}, out: tc.LoginResponse{}, status: 201},
	"POST /api/auth/login":          {in: tc.LoginRequest{}, out: tc.LoginResponse{}},
	"POST /api/auth/login/local":    {in: tc.LoginRequest{}, out: tc.LoginResponse{}},
	"POST /api/auth/invites/accept": {in: tc.CodeRequest{}, out: tc.LoginResponse{}, status: 201},
	"POST /api/auth/password-reset": {in: tc.CodeRequest{}, status: 204},
	"POST /api/auth/logout":         {status: 204},
	"GET /api/auth/me":              {out: tc.Me{}},
	"PATCH /api/auth/me":            {in: tc.UpdateMeRequest{}, out: tc.User{}},

	"GET /api/users":                     {out: tc.List[tc.User]{}},
	"POST /api/users/invites":            {in: tc.InviteRequest{}, out: tc.Invite{}, status: 201},
	"GET /api/users/invites":             {out: tc.List[tc.Invite]{}},
	"DELETE /api/users/invites/:id":      {status: 204},
	"POST /api/users/transfer-ownership": {in: tc.TransferOwnershipRequest{}, out: transferBody{}},
	"GET /api/users/:id":                 {out: tc.User{}},
	"PATCH /api/users/:id":               {in: tc.UpdateUserRequest{}, out: tc.User{}},
	"DELETE /api/users/:id":              {status: 204},
	"POST /api/users/:id/password-reset": {in: tc.PasswordResetRequest{}, out: tc.PasswordReset{}, status: 201},

	"GET /api/tokens":               {out: tc.List[tc.Token]{}},
	"POST /api/tokens":              {in: tc.CreateTokenRequest{}, out: tc.CreatedToken{}, status: 201},
	"GET /api/tokens/capabilities":  {out: tc.TokenCapabilities{}},
	"GET /api/tokens/:id":           {out: tc.Token{}},
	"POST /api/tokens/:id/revoke":   {out: tc.Token{}},
	"DELETE /api/tokens/:id":        {status: 204},
	"POST /api/tokens/:id/reassign": {in: tc.ReassignTokenRequest{}, out: tc.Token{}},

	"GET /api/settings":        {out: tc.Settings{}},
	"PATCH /api/settings":      {in: tc.SettingsPatch{}, out: tc.Settings{}},
	"GET /api/settings/public": {out: tc.PublicURLs{}},
	"GET /api/audit":           {out: tc.List[tc.AuditEntry]{}},
	"GET /api/audit/verify":    {out: tc.AuditVerifyReport{}},

	"GET /api/notifications/receivers":           {out: tc.List[tc.NotifyReceiver]{}},
	"POST /api/notifications/receivers":          {in: tc.NotifyReceiverRequest{}, out: tc.NotifyReceiver{}, status: 201},
	"GET /api/notifications/receivers/:id":       {out: tc.NotifyReceiver{}},
	"PATCH /api/notifications/receivers/:id":     {in: tc.NotifyReceiverRequest{}, out: tc.NotifyReceiver{}},
	"DELETE /api/notifications/receivers/:id":    {status: 204},
	"POST /api/notifications/receivers/:id/test": {out: tc.NotifyDelivery{}},
	"GET /api/notifications/rules":               {out: tc.List[tc.NotifyRule]{}},
	"POST /api/notifications/rules":              {in: tc.NotifyRuleRequest{}, out: tc.NotifyRule{}, status: 201},
	"GET /api/notifications/rules/:id":           {out: tc.NotifyRule{}},
	"PATCH /api/notifications/rules/:id":         {in: tc.NotifyRuleRequest{}, out: tc.NotifyRule{}},
	"DELETE /api/notifications/rules/:id":        {status: 204},
	"GET /api/notifications/log":                 {out: tc.List[tc.NotifyDelivery]{}},

	"GET /api/agents":                        {out: tc.List[tc.Agent]{}},
	"GET /api/agents/summary":                {out: tc.AgentSummary{}},
	"POST /api/agents/bulk/delete":           {in: tc.IDsRequest{}, out: tc.BulkResult{}},
	"PUT /api/agents/bulk/reporting-rule":    {in: tc.AgentRuleRequest{}, out: tc.BulkResult{}},
	"PUT /api/agents/bulk/labels/assign":     {in: tc.BulkLabelsRequest{}, out: tc.BulkResult{}},
	"PUT /api/agents/bulk/labels/remove":     {in: tc.BulkLabelsRequest{}, out: tc.BulkResult{}},
	"GET /api/agents/:id":                    {out: tc.Agent{}},
	"DELETE /api/agents/:id":                 {status: 204},
	"PUT /api/agents/:id/reporting-rule":     {in: tc.AgentRuleRequest{}, out: tc.Agent{}},
	"PUT /api/agents/:id/labels/:labelId":    {status: 204},
	"DELETE /api/agents/:id/labels/:labelId": {status: 204},
	"GET /api/agents/:id/heartbeats":         {out: tc.List[tc.HeartbeatRecord]{}},
	"GET /api/agents/:id/logs":               {out: tc.AgentLogs{}},

	"GET /api/secret-sets":                       {out: tc.List[tc.SecretSet]{}},
	"DELETE /api/secret-sets/:set":               {status: 204},
	"PUT /api/secret-sets/:set/cipher":           {in: tc.SecretCipherRequest{}, out: tc.SecretCipher{}},
	"GET /api/secret-sets/:set/secrets":          {out: tc.List[tc.Secret]{}},
	"PUT /api/secret-sets/:set/secrets/:name":    {in: tc.SetSecretRequest{}, out: tc.Secret{}},
	"DELETE /api/secret-sets/:set/secrets/:name": {status: 204},
	"GET /api/secret-sets/:set/values":           {out: map[string]string{}},

	"GET /api/advisories":                        {out: tc.List[tc.Advisory]{}},
	"POST /api/advisories/import":                {in: []map[string]any{}, out: tc.AdvisoryImportResult{}},
	"GET /api/advisories/:id":                    {out: tc.Advisory{}},
	"PUT /api/advisories/:id/acknowledgement":    {in: tc.AcknowledgeRequest{}, out: tc.Advisory{}},
	"DELETE /api/advisories/:id/acknowledgement": {out: tc.Advisory{}},

	"GET /api/reporting-rules":              {out: tc.List[tc.ReportingRule]{}},
	"POST /api/reporting-rules":             {in: tc.ReportingRuleRequest{}, out: tc.ReportingRule{}, status: 201},
	"GET /api/reporting-rules/:id":          {out: tc.ReportingRule{}},
	"PATCH /api/reporting-rules/:id":        {in: tc.ReportingRuleRequest{}, out: tc.ReportingRule{}},
	"DELETE /api/reporting-rules/:id":       {out: movedBody{}},
	"POST /api/reporting-rules/:id/default": {out: tc.ReportingRule{}},

	"PUT /api/configs/bulk/labels/assign":           {in: tc.BulkLabelsRequest{}, status: 204},
	"PUT /api/configs/bulk/labels/remove":           {in: tc.BulkLabelsRequest{}, status: 204},
	"GET /api/configs":                              {out: tc.List[tc.Config]{}},
	"POST /api/configs":                             {in: tc.CreateConfigRequest{}, out: tc.Config{}, status: 201},
	"GET /api/configs/:id":                          {out: tc.Config{}},
	"PATCH /api/configs/:id":                        {in: tc.UpdateConfigRequest{}, out: tc.Config{}},
	"PUT /api/configs/:id":                          {in: tc.UpdateConfigRequest{}, out: tc.Config{}},
	"DELETE /api/configs/:id":                       {status: 204},
	"GET /api/configs/:id/toml":                     {toml: true},
	"HEAD /api/configs/:id/toml":                    {},
	"GET /api/configs/:id/versions":                 {out: tc.List[tc.ConfigVersion]{}},
	"DELETE /api/configs/:id/versions":              {out: tc.PruneResult{}},
	"GET /api/configs/:id/versions/:n":              {out: tc.ConfigVersion{}},
	"PATCH /api/configs/:id/versions/:n":            {in: tc.VersionNoteRequest{}, out: tc.ConfigVersion{}},
	"GET /api/configs/:id/diff":                     {out: tc.ConfigDiff{}},
	"POST /api/configs/:id/rollback":                {in: tc.RollbackRequest{}, out: tc.Config{}},
	"PUT /api/configs/:id/labels/:labelId":          {status: 204},
	"POST /api/configs/:id/assign/:labelId":         {status: 204},
	"DELETE /api/configs/:id/labels/:labelId":       {status: 204},
	"PUT /api/config-groups/bulk/labels/assign":     {in: tc.BulkLabelsRequest{}, status: 204},
	"PUT /api/config-groups/bulk/labels/remove":     {in: tc.BulkLabelsRequest{}, status: 204},
	"GET /api/config-groups":                        {out: tc.List[tc.ConfigGroup]{}},
	"POST /api/config-groups":                       {in: tc.GroupRequest{}, out: tc.ConfigGroup{}, status: 201},
	"GET /api/config-groups/:id":                    {out: tc.ConfigGroup{}},
	"PATCH /api/config-groups/:id":                  {in: tc.UpdateGroupRequest{}, out: tc.ConfigGroup{}},
	"DELETE /api/config-groups/:id":                 {status: 204},
	"GET /api/config-groups/:id/toml":               {toml: true},
	"HEAD /api/config-groups/:id/toml":              {},
	"PUT /api/config-groups/:id/labels/:labelId":    {status: 204},
	"POST /api/config-groups/:id/assign/:labelId":   {status: 204},
	"DELETE /api/config-groups/:id/labels/:labelId": {status: 204},
	"GET /c/:alias":                                 {toml: true},
	"HEAD /c/:alias":                                {},
	"GET /api/aliases":                              {out: tc.List[tc.Alias]{}},
	"GET /api/aliases/:alias":                       {out: tc.Alias{}},
	"PUT /api/aliases/:alias":                       {in: tc.AliasRequest{}, out: tc.Alias{}},
	"DELETE /api/aliases/:alias":                    {status: 204},
	"GET /api/constants":                            {out: tc.List[tc.Constant]{}},
	"POST /api/constants":                           {in: tc.ConstantRequest{}, out: tc.Constant{}, status: 201},
	"GET /api/constants/:name":                      {out: tc.Constant{}},
	"PUT /api/constants/:name":                      {in: tc.ConstantRequest{}, out: tc.Constant{}},
	"PATCH /api/constants/:name":                    {in: tc.ConstantRequest{}, out: tc.Constant{}},
	"DELETE /api/constants/:name":                   {status: 204},
	"GET /api/resources":                            {out: tc.ResourceList{}},
	"POST /api/apply":                               {in: tc.ApplyRequest{}, out: tc.ApplyResult{}},
	"GET /api/labels":                               {out: tc.List[tc.Label]{}},
	"POST /api/labels":                              {in: tc.LabelRequest{}, out: tc.Label{}, status: 201},
	"GET /api/labels/:id":                           {out: tc.Label{}},
	"PATCH /api/labels/:id":                         {in: tc.UpdateLabelRequest{}, out: tc.Label{}},
	"DELETE /api/labels/:id":                        {status: 204},
}

var _ = client.Rendered{} // TOML routes answer what client.Rendered describes

var pathParamRe = regexp.MustCompile(`:([A-Za-z]+)`)

// OpenAPIPath turns a fiber path (/api/users/:id) into OpenAPI's (/api/users/{id}).
func OpenAPIPath(p string) string { return pathParamRe.ReplaceAllString(p, "{$1}") }

// OpenAPI builds the OpenAPI 3 document of every registered route.
func (s *Server) OpenAPI() (*openapi3.T, error) {
	v, _ := version.Info()
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "tcd API", Version: v,
			Description: "The API of tcd, an open Telegraf controller. Errors are {\"code\",\"message\"} envelopes; lists are {\"items\",\"total\",\"limit\",\"offset\"}."},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			SecuritySchemes: openapi3.SecuritySchemes{
				"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("http").WithScheme("bearer").
					WithDescription("An API token (tc-apiv1_…) or a session token (tc-session_…) as Authorization: Bearer <t>.")},
				"token": &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").WithName("Authorization").
					WithDescription("The same credentials as Authorization: Token <t> (what Telegraf sends from INFLUX_TOKEN).")},
			},
			Schemas: openapi3.Schemas{},
		},
	}
	errSchema, err := openapi3gen.NewSchemaRefForValue(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{}, doc.Components.Schemas)
	if err != nil {
		return nil, err
	}
	doc.Components.Schemas["Error"] = errSchema
	errRef := &openapi3.SchemaRef{Ref: "#/components/schemas/Error"}
	schemaOf := func(v any) (*openapi3.SchemaRef, error) {
		return openapi3gen.NewSchemaRefForValue(v, doc.Components.Schemas)
	}
	for _, r := range s.routes {
		key := r.Method + " " + r.Path
		sh, ok := shapes[key]
		if !ok {
			return nil, fmt.Errorf("route %s has no documented shape", key)
		}
		op := openapi3.NewOperation()
		op.Summary = r.Summary
		op.OperationID = operationID(r.Method, r.Path)
		op.Tags = []string{tagOf(r.Path)}
		for _, m := range pathParamRe.FindAllStringSubmatch(r.Path, -1) {
			op.AddParameter(openapi3.NewPathParameter(m[1]).WithSchema(openapi3.NewStringSchema()))
		}
		if sh.in != nil {
			sr, err := schemaOf(sh.in)
			if err != nil {
				return nil, fmt.Errorf("%s request: %w", key, err)
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(sr)}
		}
		status := sh.status
		if status == 0 {
			status = 200
		}
		resp := openapi3.NewResponse().WithDescription(http200Text(status))
		switch {
		case sh.out != nil:
			sr, err := schemaOf(sh.out)
			if err != nil {
				return nil, fmt.Errorf("%s response: %w", key, err)
			}
			resp.WithJSONSchemaRef(sr)
		case sh.toml:
			resp.WithContent(openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{"text/x-toml", "application/octet-stream"}))
		case sh.text:
			resp.WithContent(openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{"text/plain"}))
		}
		op.AddResponse(status, resp)
		for _, code := range []int{400, 401, 403, 404, 409} {
			if r.Public && (code == 401 || code == 403) {
				continue
			}
			op.AddResponse(code, openapi3.NewResponse().WithDescription(errText(code)).WithJSONSchemaRef(errRef))
		}
		if r.Public {
			op.Security = &openapi3.SecurityRequirements{}
		} else {
			op.Security = &openapi3.SecurityRequirements{{"bearer": {}}, {"token": {}}}
		}
		if r.Perm != "" {
			op.Description = "Needs " + string(r.Perm) + "."
			if r.Group != "" {
				op.Description += " Endpoint group " + r.Group + " (can be opened with DISABLED_AUTH_ENDPOINTS)."
			}
		}
		doc.AddOperation(OpenAPIPath(r.Path), r.Method, op)
	}
	return doc, nil
}

func http200Text(status int) string {
	switch status {
	case 201:
		return "Created"
	case 204:
		return "No content"
	}
	return "OK"
}

func errText(code int) string {
	return map[int]string{400: "Invalid input", 401: "No or invalid credentials", 403: "The credential lacks the permission",
		404: "Not found", 409: "Conflict"}[code]
}

func tagOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case parts[0] == "c":
		return "configs"
	case parts[0] != "api" || len(parts) < 2:
		return "operations"
	}
	return parts[1]
}

func operationID(method, path string) string {
	id := strings.ToLower(method)
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		p = strings.NewReplacer(":", "by-", ".", "-").Replace(p)
		id += "_" + p
	}
	return id
}

func (s *Server) openapiDoc(c *fiber.Ctx) error {
	s.openapi.once.Do(func() {
		doc, err := s.OpenAPI()
		if err != nil {
			s.openapi.err = err
			return
		}
		s.openapi.json, s.openapi.err = json.Marshal(doc)
	})
	if s.openapi.err != nil {
		return s.openapi.err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(s.openapi.json)
}

// openapiCache holds the rendered document (built once per server).
type openapiCache struct {
	once sync.Once
	json []byte
	err  error
}

// SortedShapeKeys lists the documented routes (tests compare them with the router).
func SortedShapeKeys() []string {
	out := make([]string, 0, len(shapes))
	for k := range shapes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
