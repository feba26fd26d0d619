package registry

import (
	"context"
	"fmt"
)

// InstallFromPeer installs a package archive another Orbital node sent (a cluster spawn of a
// module this home lacks). It is held to a remote registry's rules: signed, by a publisher
// this home trusts (registry/trusted.toml), every digest verified; and its entry digest must be
// want (the asking node's), so a peer cannot swap the code it was asked for. source names the
// peer for the record and the errors.
func (r *Registry) InstallFromPeer(ctx context.Context, data []byte, want, source string) (*Record, error) {
	pkg, err := LoadPackage(data, source)
	if err != nil {
		return nil, fmt.Errorf("package from %s: %w", source, err)
	}
	if want != "" && pkg.Manifest.EntryDigest != want {
		return nil, fmt.Errorf("package from %s: entry digest %s, the spawn asked for %s: refused", source, pkg.Manifest.EntryDigest, want)
	}
	rec, _, err := r.installPackage(ctx, pkg, origin{Source: source, Remote: true}, &InstallOptions{})
	return rec, err
}

// Trusts reports whether the manifest m is signed by a publisher this home trusts.
func (r *Registry) Trusts(m *Manifest) (bool, error) {
	if m.Signature == "" || m.Publisher == "" {
		return false, nil
	}
	if err := VerifySignature(m); err != nil {
		return false, err
	}
	t, err := LoadTrust(r.TrustPath())
	if err != nil {
		return false, err
	}
	return t.Trusted(m.Publisher), nil
}
