package drivers

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/orbital/orbital/bus"
)

// Spec says which driver to run and how. The registry's manifest (kind "driver") fills it.
type Spec struct {
	Name    string   // the driver's module name, e.g. "camera"
	Version string   // semver, for listings
	Path    string   // the executable for this platform
	Digest  string   // "sha256:<hex>" of the executable; checked before every exec
	Device  string   // the device grant a process needs to talk to the driver (default: Name)
	Args    []string // passed to the driver on argv (after its name) and in the handshake
	Network bool     // leave the network reachable (otherwise the driver gets an empty network namespace where the OS allows)
	Display bool     // pass $DISPLAY and $XAUTHORITY on (a driver that may open windows: the GPU driver's hidden-window fallback)
	Restart Restart
	Limits  Limits
}

// Restart is a driver's restart policy. Restarts apply to failures after a successful start
// (crash, hang, protocol violation); a driver that fails its first start is reported, not retried.
type Restart struct {
	Policy      string        // "never" (default) or "on-failure"
	MaxRestarts int           // restarts in a row (each instance up less than a minute) before giving up (default 5)
	Backoff     time.Duration // first delay (default 250 ms), doubled per restart
	MaxBackoff  time.Duration // (default 10 s)
}

// Limits are the resource limits (setrlimit) applied to the driver process.
type Limits struct {
	AddressSpace uint64 // RLIMIT_AS bytes (default 8 GiB; Go reserves much address space up front)
	OpenFiles    uint64 // RLIMIT_NOFILE (default 256)
	FileSize     uint64 // RLIMIT_FSIZE bytes, also bounds memfd regions (default 1 GiB)
	CPUSeconds   uint64 // RLIMIT_CPU (default 0: none)
}

// Restart policies.
const (
	RestartNever     = "never"
	RestartOnFailure = "on-failure"
)

func (s Spec) withDefaults() Spec {
	if s.Device == "" {
		s.Device = s.Name
	}
	if s.Restart.Policy == "" {
		s.Restart.Policy = RestartNever
	}
	if s.Restart.MaxRestarts <= 0 {
		s.Restart.MaxRestarts = 5
	}
	if s.Restart.Backoff <= 0 {
		s.Restart.Backoff = 250 * time.Millisecond
	}
	if s.Restart.MaxBackoff <= 0 {
		s.Restart.MaxBackoff = 10 * time.Second
	}
	if s.Limits.AddressSpace == 0 {
		s.Limits.AddressSpace = 8 << 30
	}
	if s.Limits.OpenFiles == 0 {
		s.Limits.OpenFiles = 256
	}
	if s.Limits.FileSize == 0 {
		s.Limits.FileSize = 1 << 30
	}
	return s
}

// validate checks a spec in one place; errors say which field is wrong and what to do.
func (s Spec) validate() error {
	if s.Name == "" || bus.ValidTopic(s.Name) != nil || strings.Contains(s.Name, ".") {
		return fmt.Errorf("drivers: driver name %q: use letters, digits, '-' and '_'", s.Name)
	}
	if s.Path == "" {
		return fmt.Errorf("drivers: driver %s: no executable path", s.Name)
	}
	if _, err := parseDigest(s.Digest); err != nil {
		return fmt.Errorf("drivers: driver %s: %w", s.Name, err)
	}
	switch s.Restart.Policy {
	case RestartNever, RestartOnFailure:
	default:
		return fmt.Errorf("drivers: driver %s: restart policy %q: use %q or %q", s.Name, s.Restart.Policy, RestartNever, RestartOnFailure)
	}
	return nil
}

// parseDigest accepts "sha256:<64 hex>" or bare hex and returns the 32 bytes.
func parseDigest(d string) ([]byte, error) {
	h := strings.TrimPrefix(d, "sha256:")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("digest %q is not sha256:<64 hex digits>; every driver needs the digest of its executable", d)
	}
	return b, nil
}
