package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/opentc/tc/pkg/tc"
)

// ConfigFilter narrows ListConfigs and ListGroups.
type ConfigFilter struct {
	Search string
	Label  string // label ID or name
	Name   string // exact name
	Sort   string // name, createdAt or updatedAt
	Desc   bool
	tc.Page
}

func (f ConfigFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"search": f.Search, "label": f.Label, "name": f.Name, "sort": f.Sort} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Desc {
		q.Set("order", "desc")
	}
	return pageQuery(f.Page, q)
}

// ListConfigs lists configs (GET /api/configs).
func (c *Client) ListConfigs(ctx context.Context, f ConfigFilter) (tc.List[tc.Config], error) {
	var out tc.List[tc.Config]
	err := c.Do(ctx, http.MethodGet, "/api/configs", f.query(), nil, &out)
	return out, err
}

// GetConfig returns a config by ID or alias (GET /api/configs/{idOrAlias}).
func (c *Client) GetConfig(ctx context.Context, ref string) (tc.Config, error) {
	var out tc.Config
	err := c.Do(ctx, http.MethodGet, "/api/configs/"+esc(ref), nil, nil, &out)
	return out, err
}

// FindConfig returns a config by ID, alias or exact name.
func (c *Client) FindConfig(ctx context.Context, ref string) (tc.Config, error) {
	cfg, err := c.GetConfig(ctx, ref)
	if err == nil || tc.ErrorCode(err) != tc.ENotFound {
		return cfg, err
	}
	list, lerr := c.ListConfigs(ctx, ConfigFilter{Name: ref})
	if lerr != nil {
		return tc.Config{}, lerr
	}
	if len(list.Items) == 0 {
		return tc.Config{}, err
	}
	return list.Items[0], nil
}

// CreateConfig creates a config (POST /api/configs).
func (c *Client) CreateConfig(ctx context.Context, req tc.CreateConfigRequest) (tc.Config, error) {
	var out tc.Config
	err := c.Do(ctx, http.MethodPost, "/api/configs", nil, req, &out)
	return out, err
}

// UpdateConfig changes a config (PATCH /api/configs/{id}).
func (c *Client) UpdateConfig(ctx context.Context, ref string, req tc.UpdateConfigRequest) (tc.Config, error) {
	var out tc.Config
	err := c.Do(ctx, http.MethodPatch, "/api/configs/"+esc(ref), nil, req, &out)
	return out, err
}

// DeleteConfig deletes a config; force overrides the in-use guard.
func (c *Client) DeleteConfig(ctx context.Context, ref string, force bool) error {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	return c.Do(ctx, http.MethodDelete, "/api/configs/"+esc(ref), q, nil, nil)
}

// ConfigVersions lists a config's versions, newest first.
func (c *Client) ConfigVersions(ctx context.Context, ref string) ([]tc.ConfigVersion, error) {
	var out tc.List[tc.ConfigVersion]
	err := c.Do(ctx, http.MethodGet, "/api/configs/"+esc(ref)+"/versions", nil, nil, &out)
	return out.Items, err
}

// ConfigVersion returns version n of a config.
func (c *Client) ConfigVersion(ctx context.Context, ref string, n int) (tc.ConfigVersion, error) {
	var out tc.ConfigVersion
	err := c.Do(ctx, http.MethodGet, fmt.Sprintf("/api/configs/%s/versions/%d", esc(ref), n), nil, nil, &out)
	return out, err
}

// SetVersionNote edits the note of version n.
func (c *Client) SetVersionNote(ctx context.Context, ref string, n int, note string) (tc.ConfigVersion, error) {
	var out tc.ConfigVersion
	err := c.Do(ctx, http.MethodPatch, fmt.Sprintf("/api/configs/%s/versions/%d", esc(ref), n), nil, tc.VersionNoteRequest{Note: note}, &out)
	return out, err
}

// DiffConfig returns the unified diff between two versions.
func (c *Client) DiffConfig(ctx context.Context, ref string, from, to int) (tc.ConfigDiff, error) {
	var out tc.ConfigDiff
	q := url.Values{"from": {strconv.Itoa(from)}, "to": {strconv.Itoa(to)}}
	err := c.Do(ctx, http.MethodGet, "/api/configs/"+esc(ref)+"/diff", q, nil, &out)
	return out, err
}

// RollbackConfig makes an earlier version current as a new version.
func (c *Client) RollbackConfig(ctx context.Context, ref string, req tc.RollbackRequest) (tc.Config, error) {
	var out tc.Config
	err := c.Do(ctx, http.MethodPost, "/api/configs/"+esc(ref)+"/rollback", nil, req, &out)
	return out, err
}

// PruneVersions deletes the versions below before (never the current one).
func (c *Client) PruneVersions(ctx context.Context, ref string, before int) (tc.PruneResult, error) {
	var out tc.PruneResult
	err := c.Do(ctx, http.MethodDelete, "/api/configs/"+esc(ref)+"/versions", url.Values{"before": {strconv.Itoa(before)}}, nil, &out)
	return out, err
}

// Rendered is a TOML endpoint's answer.
type Rendered struct {
	Status       int
	Body         string
	LastModified string
	ETag         string
	ContentType  string
}

// RenderConfig fetches /api/configs/{ref}/toml with params, as an agent would.
func (c *Client) RenderConfig(ctx context.Context, ref string, params url.Values) (Rendered, error) {
	return c.fetchTOML(ctx, http.MethodGet, "/api/configs/"+esc(ref)+"/toml", params)
}

// RenderGroup fetches /api/config-groups/{ref}/toml with params.
func (c *Client) RenderGroup(ctx context.Context, ref string, params url.Values) (Rendered, error) {
	return c.fetchTOML(ctx, http.MethodGet, "/api/config-groups/"+esc(ref)+"/toml", params)
}

// FetchTOML sends method (GET or HEAD) to a TOML path (e.g. /c/web) and
// returns the response; non-2xx/304 statuses are *tc.Error.
func (c *Client) FetchTOML(ctx context.Context, method, path string, params url.Values) (Rendered, error) {
	return c.fetchTOML(ctx, method, path, params)
}

func (c *Client) fetchTOML(ctx context.Context, method, path string, params url.Values) (Rendered, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = params.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return Rendered{}, err
	}
	req.Header.Set("Accept", "text/x-toml")
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Rendered{}, tc.Errorf(tc.EUnavailable, "cannot reach tcd at %s: %v", c.base.String(), unwrapNetErr(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return Rendered{}, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotModified {
		return Rendered{}, decodeError(resp, data)
	}
	return Rendered{Status: resp.StatusCode, Body: string(data), LastModified: resp.Header.Get("Last-Modified"),
		ETag: resp.Header.Get("ETag"), ContentType: resp.Header.Get("Content-Type")}, nil
}

// SetConfigLabels assigns or removes labels on configs (bulk).
func (c *Client) SetConfigLabels(ctx context.Context, assign bool, req tc.BulkLabelsRequest) error {
	return c.Do(ctx, http.MethodPut, "/api/configs/bulk/labels/"+bulkVerb(assign), nil, req, nil)
}

func bulkVerb(assign bool) string {
	if assign {
		return "assign"
	}
	return "remove"
}

// ListAliases lists every alias.
func (c *Client) ListAliases(ctx context.Context) ([]tc.Alias, error) {
	var out tc.List[tc.Alias]
	err := c.Do(ctx, http.MethodGet, "/api/aliases", nil, nil, &out)
	return out.Items, err
}

// PutAlias points alias at a config or group.
func (c *Client) PutAlias(ctx context.Context, alias string, req tc.AliasRequest) (tc.Alias, error) {
	var out tc.Alias
	err := c.Do(ctx, http.MethodPut, "/api/aliases/"+esc(alias), nil, req, &out)
	return out, err
}

// DeleteAlias removes an alias.
func (c *Client) DeleteAlias(ctx context.Context, alias string) error {
	return c.Do(ctx, http.MethodDelete, "/api/aliases/"+esc(alias), nil, nil, nil)
}

// GetAlias returns one alias (GET /api/aliases/{alias}).
func (c *Client) GetAlias(ctx context.Context, alias string) (tc.Alias, error) {
	var out tc.Alias
	err := c.Do(ctx, http.MethodGet, "/api/aliases/"+esc(alias), nil, nil, &out)
	return out, err
}

// Apply sends resources to POST /api/apply (see tc.ApplyRequest).
func (c *Client) Apply(ctx context.Context, req tc.ApplyRequest) (tc.ApplyResult, error) {
	var out tc.ApplyResult
	err := c.Do(ctx, http.MethodPost, "/api/apply", nil, req, &out)
	return out, err
}

// ExportResources returns the configuration as resources (GET /api/resources).
func (c *Client) ExportResources(ctx context.Context, kinds []string, label string) (tc.ResourceList, error) {
	q := url.Values{}
	for _, k := range kinds {
		q.Add("kind", k)
	}
	if label != "" {
		q.Set("label", label)
	}
	var out tc.ResourceList
	err := c.Do(ctx, http.MethodGet, "/api/resources", q, nil, &out)
	return out, err
}
