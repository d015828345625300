package tc

// Config as code (docs/config-as-code.md): resources as YAML documents in
// the kubectl style, exported by GET /api/resources and applied, all or
// nothing, by POST /api/apply.

// ResourceAPIVersion is the apiVersion of every resource document.
const ResourceAPIVersion = "tc/v1"

// Resource kinds, in the order export writes and apply creates them.
const (
	KindLabel         = "Label"
	KindConstant      = "Constant"
	KindConfig        = "Config"
	KindConfigGroup   = "ConfigGroup"
	KindAlias         = "Alias"
	KindReportingRule = "ReportingRule"
)

// ResourceKinds lists every kind apply changes, in dependency order.
var ResourceKinds = []string{KindLabel, KindConstant, KindConfig, KindConfigGroup, KindAlias, KindReportingRule}

// KindSecretSet is a secret set by the names of its secrets — never their
// values. Export writes it for callers who may list secret names
// (secrets:write); apply only checks that the set holds those secrets
// (values are set with tcctl secret set) and never changes or prunes it.
const KindSecretSet = "SecretSet"

// Resource is one declarative resource. Spec holds the fields of every
// kind; a document may use only those of its own kind.
type Resource struct {
	APIVersion string           `json:"apiVersion" yaml:"apiVersion"`
	Kind       string           `json:"kind" yaml:"kind"`
	Metadata   ResourceMetadata `json:"metadata" yaml:"metadata"`
	Spec       ResourceSpec     `json:"spec" yaml:"spec"`
	// Source is where the client read the resource, for error messages
	// (never exported).
	Source *ResourceSource `json:"source,omitempty" yaml:"-"`
}

// ResourceMetadata identifies a resource. Name is the key apply matches
// on; ID (configs and config groups) keeps agents' URLs stable across
// tcds; Labels (configs and config groups) are label names.
type ResourceMetadata struct {
	Name        string   `json:"name" yaml:"name"`
	ID          string   `json:"id,omitempty" yaml:"id,omitempty"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Labels      []string `json:"labels,omitempty" yaml:"labels,omitempty"`
}

// ResourceSpec is the union of every kind's fields.
type ResourceSpec struct {
	// Config: the TOML inline (toml) or in a file beside the document
	// (tomlFile, read by tcctl, never sent); envHandling.
	TOML        string `json:"toml,omitempty" yaml:"toml,omitempty"`
	TOMLFile    string `json:"tomlFile,omitempty" yaml:"tomlFile,omitempty"`
	EnvHandling string `json:"envHandling,omitempty" yaml:"envHandling,omitempty"`
	// ConfigGroup: member config names in render order.
	Members []string `json:"members,omitempty" yaml:"members,omitempty"`
	// Constant: its value.
	Value *string `json:"value,omitempty" yaml:"value,omitempty"`
	// Label: #rrggbb.
	Color string `json:"color,omitempty" yaml:"color,omitempty"`
	// ReportingRule: seconds; autoDeleteAfter 0 = never; default true makes
	// it the rule new agents get (false is the same as absent).
	NotReportingAfter int64 `json:"notReportingAfter,omitempty" yaml:"notReportingAfter,omitempty"`
	AutoDeleteAfter   int64 `json:"autoDeleteAfter,omitempty" yaml:"autoDeleteAfter,omitempty"`
	Default           bool  `json:"default,omitempty" yaml:"default,omitempty"`
	// Alias: the name of the config or config group it serves.
	Config string `json:"config,omitempty" yaml:"config,omitempty"`
	Group  string `json:"group,omitempty" yaml:"group,omitempty"`
	// SecretSet: the names of its secrets (never values).
	Secrets []string `json:"secrets,omitempty" yaml:"secrets,omitempty"`
}

// ResourceSource is where a resource was read: the YAML file and the line
// its document starts on, and the TOML file of a config's spec.tomlFile.
type ResourceSource struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	TOMLFile string `json:"tomlFile,omitempty"`
}

// ResourceList is the answer of GET /api/resources (export).
type ResourceList struct {
	Resources []Resource `json:"resources"`
}

// ApplyRequest is the body of POST /api/apply.
type ApplyRequest struct {
	Resources []Resource `json:"resources"`
	// DryRun validates and answers what would change, changing nothing.
	DryRun bool `json:"dryRun,omitempty"`
	// Prune deletes the resources of the kinds in Resources (or of
	// PruneKinds) that Resources does not name; with Selector only those
	// carrying that label. The default reporting rule is never pruned.
	Prune      bool     `json:"prune,omitempty"`
	PruneKinds []string `json:"pruneKinds,omitempty"`
	Selector   string   `json:"selector,omitempty"`
	// Note is the note of every config version the apply creates and is
	// recorded with each audit entry.
	Note string `json:"note,omitempty"`
	// Diff asks for a unified diff of every change.
	Diff bool `json:"diff,omitempty"`
}

// Apply actions.
const (
	ActionCreated   = "created"
	ActionUpdated   = "updated"
	ActionUnchanged = "unchanged"
	ActionDeleted   = "deleted"
)

// ApplyChange is what an apply did (or would do) to one resource.
type ApplyChange struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Action string `json:"action"`
	// Diff is a unified diff of the resource (TOML and other fields) from
	// tcd's state to the applied one, when asked for.
	Diff string `json:"diff,omitempty"`
}

// ApplyResult is the answer of POST /api/apply.
type ApplyResult struct {
	// ID identifies the apply in the audit log.
	ID       string          `json:"id"`
	DryRun   bool            `json:"dryRun"`
	Changes  []ApplyChange   `json:"changes"`
	Warnings []ConfigProblem `json:"warnings,omitempty"`
}

// ApplyProblem is one reason an apply was refused, placed in the files.
type ApplyProblem struct {
	Kind    string `json:"kind,omitempty"`
	Name    string `json:"name,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}
