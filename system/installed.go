package system

import (
	"fmt"

	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
)

// ModuleName is the name a TARGET runs under, and so its name for policy: a path (dir/x,
// x.wasm, x.js) is named after its file, anything else is a name already.
func ModuleName(target string) string {
	if isPath(target) {
		return moduleNameFrom(target, target)
	}
	return target
}

// InstalledIdentities lists the identity of the newest installed version of each module of
// home as policy sees it (name, publisher, what its manifest requests), for the policy
// commands (explain, new, check). A bare .wasm has no manifest: its name alone.
func InstalledIdentities(home string) ([]policies.Identity, error) {
	reg, err := registry.Open(home)
	if err != nil {
		return nil, err
	}
	recs, err := reg.List("")
	if err != nil {
		return nil, err
	}
	out := []policies.Identity{}
	for i, rec := range recs {
		if i > 0 && recs[i-1].Name == rec.Name {
			continue // older version
		}
		m, err := reg.Manifest(rec)
		if err != nil {
			return nil, err
		}
		if rec.Derived { // a bare .wasm: no manifest of its own, policy alone decides
			out = append(out, policies.Identity{Name: rec.Name})
			continue
		}
		req, err := policies.ParseRequests(rec.ID()+" module.toml [permissions]", m.RequestsTOML(), policies.DefaultExpand(home))
		if err != nil {
			return nil, err
		}
		out = append(out, policies.Identity{Name: rec.Name, Publisher: m.Publisher, Requests: req})
	}
	return out, nil
}

// InstalledIdentity is the identity of TARGET for the policy commands: the installed module's
// of that name, else (not installed, or the registry unreadable) its name alone.
func InstalledIdentity(home, target string) policies.Identity {
	name := ModuleName(target)
	ids, _ := InstalledIdentities(home)
	for _, id := range ids {
		if id.Name == name {
			return id
		}
	}
	return policies.Identity{Name: name}
}

// CheckRequests is the registry's install check (registry.InstallOptions.Check) of home: a
// manifest whose [permissions] a policy file could not express is refused, with the policies
// package's message (file, line, key).
func CheckRequests(home string) func(*registry.Manifest) error {
	return func(m *registry.Manifest) error {
		_, err := policies.ParseRequests(m.ID()+" module.toml [permissions]", m.RequestsTOML(), policies.DefaultExpand(home))
		if err != nil {
			return fmt.Errorf("%w: %v", registry.ErrBadManifest, err)
		}
		return nil
	}
}
