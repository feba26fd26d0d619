package registry

import (
	"testing"
	"time"
)

func TestServiceKeys(t *testing.T) {
	for _, tc := range []struct {
		extra     string
		instances int
		idle      time.Duration
	}{
		{"", 1, DefaultIdleTimeout},
		{"instances = 3\nidle_timeout = \"30s\"\n", 3, 30 * time.Second},
		{"idle_timeout = \"never\"\n", 1, 0},
	} {
		src := "name = \"weather\"\nversion = \"1.0.0\"\nkind = \"service\"\nentry = \"weather.wasm\"\n" + tc.extra
		m, err := ParseManifest([]byte(src), "module.toml")
		if err != nil {
			t.Fatalf("%q: %v", tc.extra, err)
		}
		idle, err := ParseIdleTimeout(m.IdleTimeout)
		if m.ServiceInstances() != tc.instances || idle != tc.idle || err != nil {
			t.Errorf("%q: instances %d, idle %v (%v); want %d, %v", tc.extra, m.ServiceInstances(), idle, err, tc.instances, tc.idle)
		}
	}
}
