package registry

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

// A package from a peer node is held to a remote registry's rules: signed, by a trusted
// publisher, its digests intact and its entry the one the spawn asked for.
func TestInstallFromPeer(t *testing.T) {
	r := newReg(t)
	key := testKey(t)
	ctx := context.Background()
	archive := func(tweak func(*Package)) ([]byte, string) {
		pkg := makePkg(t, "viewer", "1.0.0", KindApp, nil, nil)
		if tweak != nil {
			tweak(pkg)
		}
		b, err := pkg.Archive()
		if err != nil {
			t.Fatal(err)
		}
		return b, pkg.Manifest.EntryDigest
	}
	signed := func(p *Package) {
		if err := Sign(p.Manifest, key); err != nil {
			t.Fatal(err)
		}
	}
	unsigned, want := archive(nil)
	if _, err := r.InstallFromPeer(ctx, unsigned, want, "node a"); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("unsigned: %v", err)
	}
	good, want := archive(signed)
	if _, err := r.InstallFromPeer(ctx, good, want, "node a"); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("untrusted: %v", err)
	}
	trust, err := LoadTrust(r.TrustPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := trust.Add(PublicKeyString(key.Public().(ed25519.PublicKey))); err != nil {
		t.Fatal(err)
	}
	if _, err := r.InstallFromPeer(ctx, good, "sha256:"+strings.Repeat("0", 64), "node a"); err == nil || !strings.Contains(err.Error(), "the spawn asked for") {
		t.Fatalf("another entry than asked: %v", err)
	}
	tampered, _ := archive(func(p *Package) {
		signed(p)
		p.Entry = append([]byte(nil), p.Entry...)
		p.Entry[len(p.Entry)-1] ^= 1 // the signed manifest's digest no longer matches
	})
	if _, err := r.InstallFromPeer(ctx, tampered, "", "node a"); err == nil {
		t.Fatal("a tampered package was installed")
	}
	rec, err := r.InstallFromPeer(ctx, good, want, "node a")
	if err != nil || rec.Name != "viewer" || rec.EntryDigest != want {
		t.Fatalf("signed, trusted, as asked: %+v %v", rec, err)
	}
	if ok, err := r.Trusts(mustManifest(t, r, rec)); !ok || err != nil {
		t.Fatalf("Trusts: %v %v", ok, err)
	}
}

func mustManifest(t *testing.T, r *Registry, rec *Record) *Manifest {
	t.Helper()
	m, err := r.Manifest(rec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
