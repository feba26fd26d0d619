package system

import (
	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
)

// InstalledModule is an installed module as policy sees it: its name, publisher and what its
// manifest requests.
type InstalledModule struct {
	Name      string
	Publisher string
	Requests  *policies.Grants // from the manifest's [permissions]; nil for a bare .wasm
}

// InstalledModules lists the newest installed version of each module of home, for the policy
// verbs (explain, new, check).
func InstalledModules(home string) ([]InstalledModule, error) {
	reg, err := registry.Open(home)
	if err != nil {
		return nil, err
	}
	recs, err := reg.List("")
	if err != nil {
		return nil, err
	}
	var out []InstalledModule
	for i, rec := range recs {
		if i > 0 && recs[i-1].Name == rec.Name {
			continue // older version
		}
		m, err := reg.Manifest(rec)
		if err != nil {
			return nil, err
		}
		if rec.Derived { // a bare .wasm: no manifest of its own, policy alone decides
			out = append(out, InstalledModule{Name: rec.Name})
			continue
		}
		req, err := policies.ParseRequests(rec.ID()+" module.toml [permissions]", m.RequestsTOML(), policies.DefaultExpand(home))
		if err != nil {
			return nil, err
		}
		out = append(out, InstalledModule{Name: rec.Name, Publisher: m.Publisher, Requests: req})
	}
	return out, nil
}
