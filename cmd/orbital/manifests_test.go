package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
)

// TestDemoManifests: every modules/NAME/module.toml parses, is named after its directory, and
// asks for nothing its built-in policy does not grant, so a demo installed by `make run` opens
// without a permission prompt and with everything it needs.
func TestDemoManifests(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "modules", "*", "module.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests found: %v", err)
	}
	st, err := policies.Open(testenv.Home(t)) // built-in defaults only
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := registry.ParseManifest(data, f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		dir := filepath.Base(filepath.Dir(f))
		if m.Name != dir {
			t.Errorf("%s: name %q, want the directory's %q", f, m.Name, dir)
		}
		req, err := policies.ParseRequests(f, m.RequestsTOML(), policies.Expand{})
		if err != nil {
			t.Errorf("%s: requests: %v", f, err)
			continue
		}
		ns, err := st.Resolve(policies.Identity{Name: m.Name, Requests: req})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if ns.Policy == nil {
			continue // no built-in policy (fetch, launch): the user grants what they want
		}
		if miss := policies.Missing(req, ns); !miss.Empty() {
			t.Errorf("%s asks for more than its built-in policy grants: %s", dir, strings.Join(policies.Describe(miss), "; "))
		}
	}
}
