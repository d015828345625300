package daemon

import (
	"context"
	"time"
)

// component is a part of tcd built after the store and the identity service
// exist (configs, agents, …). If it also implements api.Feature its routes
// are served. Close runs at shutdown, in reverse order, before the store
// closes (flush what is pending there).
type component interface {
	Close() error
}

// componentBuilders are registered by init functions in component_<name>.go
// files, one per feature, and run in registration order (file name order).
var componentBuilders []func(ctx context.Context, m *Main) (component, error)

func registerComponent(build func(ctx context.Context, m *Main) (component, error)) {
	componentBuilders = append(componentBuilders, build)
}

const defaultSchedulerInterval = 60 * time.Second
