package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/orbital/orbital/policies"
	"github.com/orbital/orbital/registry"
)

func init() { installedModules = registryModules }

// registryModules lists the latest installed version of each module with its requested
// permissions. A home without a registry directory has nothing installed; it is not created.
func registryModules(home string) ([]installedModule, error) {
	if _, err := os.Stat(filepath.Join(home, "registry")); err != nil {
		return nil, errors.New("no registry in " + home)
	}
	r, err := registry.Open(home)
	if err != nil {
		return nil, err
	}
	recs, err := r.List("")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []installedModule
	for _, rec := range recs {
		if seen[rec.Name] {
			continue // List is highest version first
		}
		seen[rec.Name] = true
		m := installedModule{Name: rec.Name, Publisher: rec.Publisher}
		if man, err := r.Manifest(rec); err == nil {
			m.Requests = manifestRequests(home, man)
		}
		out = append(out, m)
	}
	return out, nil
}

// manifestRequests reads a manifest's [permissions], which has the policy grant schema; the
// source of each request is the manifest. A manifest that requests nothing at all (a bare .wasm
// installed with the registry's default manifest) is treated as no manifest: policy alone
// decides, as for a bare .wasm run by path. A manifest whose permissions do not parse requests
// nothing (the registry validated it at install, so this does not happen in practice).
func manifestRequests(home string, man *registry.Manifest) *policies.Grants {
	g, err := policies.ParseRequests(man.Name+"@"+man.Version+" manifest", man.RequestsTOML(), policies.DefaultExpand(home))
	if err != nil {
		return &policies.Grants{}
	}
	if g.Empty() && g.Memory.N == 0 && g.Deadline.N == 0 && g.Fuel.N == 0 {
		return nil
	}
	return g
}

// policyIdentity is the publisher key and requested permissions of target when it names an
// installed module (not a path), for kernel.SpawnOptions; ("", nil) otherwise.
func policyIdentity(home, target string) (string, *policies.Grants) {
	if isPath(target) {
		return "", nil
	}
	m, ok := lookupInstalled(home, target)
	if !ok {
		return "", nil
	}
	return m.Publisher, m.Requests
}
