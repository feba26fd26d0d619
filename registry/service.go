package registry

import (
	"fmt"
	"strings"
	"time"
)

// The manifest keys of a service called by name (docs/design/services.md): instances and
// idle_timeout. The instance that runs services (package system) reads them through these
// functions, so what install accepts is exactly what runs.

// MaxInstances bounds instances: each is a process with its own memory.
const MaxInstances = 64

// DefaultIdleTimeout is how long a service started by a call runs without calls when its
// manifest does not say.
const DefaultIdleTimeout = 5 * time.Minute

// ParseIdleTimeout reads idle_timeout: "" is DefaultIdleTimeout, "never" is 0 (never stopped
// for being idle), otherwise a Go duration of at least one second.
func ParseIdleTimeout(s string) (time.Duration, error) {
	switch t := strings.TrimSpace(s); t {
	case "":
		return DefaultIdleTimeout, nil
	case "never":
		return 0, nil
	default:
		d, err := time.ParseDuration(t)
		if err != nil || d < time.Second {
			return 0, fmt.Errorf("%q: want a duration of at least 1s, like \"30s\", or \"never\"", s)
		}
		return d, nil
	}
}

// ServiceInstances is how many processes of the service run (instances, 1 when unset).
func (m *Manifest) ServiceInstances() int { return max(m.Instances, 1) }

// validateService checks instances and idle_timeout, which only a service has.
func (m *Manifest) validateService() error {
	bad := func(key, f string, a ...any) error { return &ManifestError{Key: key, Msg: fmt.Sprintf(f, a...)} }
	if m.Kind != KindService {
		switch {
		case m.Instances != 0:
			return bad("instances", "only a service (kind = \"service\") runs instances; this is a %s", m.Kind)
		case m.IdleTimeout != "":
			return bad("idle_timeout", "only a service (kind = \"service\") has an idle timeout; this is a %s", m.Kind)
		}
		return nil
	}
	if m.Instances < 0 || m.Instances > MaxInstances {
		return bad("instances", "%d: want 1 to %d", m.Instances, MaxInstances)
	}
	if _, err := ParseIdleTimeout(m.IdleTimeout); err != nil {
		return bad("idle_timeout", "%v", err)
	}
	return nil
}
