package registry

import (
	"errors"
	"os"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestByDigest(t *testing.T) {
	r := newReg(t)
	a := makePkg(t, "alpha", "1.0.0", KindApp, nil, nil)
	b := makePkg(t, "beta", "1.0.0", KindApp, nil, nil) // the same bytes under another name
	install(t, r, writePkg(t, a), InstallOptions{})
	install(t, r, writePkg(t, b), InstallOptions{})
	d := a.Manifest.EntryDigest
	for _, tc := range []struct{ digest, name, want string }{
		{d, "beta", "beta"},
		{d, "", "alpha"},
		{d, "gamma", "alpha"},
		{d[len("sha256:"):], "beta", "beta"}, // the kernel's bare hex
	} {
		rec, m, err := r.ByDigest(tc.digest, tc.name)
		if err != nil || rec.Name != tc.want || m.Name != tc.want {
			t.Errorf("ByDigest(%.20s, %q) = %v, %v; want %s", tc.digest, tc.name, rec, err, tc.want)
		}
	}
	if _, _, err := r.ByDigest("sha256:"+strings.Repeat("0", 64), ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown digest: %v, want ErrNotFound", err)
	}
	if _, err := r.Remove("alpha", "", false); err != nil {
		t.Fatal(err)
	}
	if rec, _, err := r.ByDigest(d, "alpha"); err != nil || rec.Name != "beta" {
		t.Errorf("after rm alpha: %v, %v; want beta", rec, err)
	}

	// A version replaced in place leaves the index with its new bytes only.
	c1 := makePkg(t, "gamma", "1.0.0", KindApp, nil, nil)
	c2 := makePkg(t, "gamma", "1.0.0", KindApp, nil, func(m *Manifest) { m.Description = "rebuilt" })
	c2.Entry = buildWasm(nil, []string{"f", "g"}, true)
	c2.Manifest.EntryDigest = Digest(c2.Entry)
	install(t, r, writePkg(t, c1), InstallOptions{})
	install(t, r, writePkg(t, c2), InstallOptions{Replace: true})
	if rec, _, err := r.ByDigest(c1.Manifest.EntryDigest, "gamma"); err != nil || rec.Name != "beta" {
		t.Errorf("old bytes of gamma: %v, %v; want only beta to have them", rec, err)
	}
	if rec, m, err := r.ByDigest(c2.Manifest.EntryDigest, "gamma"); err != nil || rec.Name != "gamma" || m.Description != "rebuilt" {
		t.Errorf("new bytes of gamma: %v, %v", rec, err)
	}

	// A broken install is an error of its own, never "not installed".
	rec, _, _ := r.ByDigest(c2.Manifest.EntryDigest, "gamma")
	if err := os.WriteFile(r.manifestPath(rec.Name, rec.dir()), []byte("name = \"gamma\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.ByDigest(c2.Manifest.EntryDigest, "gamma"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("tampered manifest: %v, want a digest error", err)
	}
}

// A home from before the digest index gets it built by the next Open.
func TestByDigestIndexBuiltOnOpen(t *testing.T) {
	r := newReg(t)
	p := makePkg(t, "old", "1.0.0", KindApp, nil, nil)
	install(t, r, writePkg(t, p), InstallOptions{})
	if err := r.withDB(true, func(db *bolt.DB) error {
		return db.Update(func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket(bucketDigests); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Delete(metaDigests)
		})
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.ByDigest(p.Manifest.EntryDigest, "old"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("without the index: %v", err)
	}
	r2, err := Open(r.Home())
	if err != nil {
		t.Fatal(err)
	}
	if rec, _, err := r2.ByDigest(p.Manifest.EntryDigest, "old"); err != nil || rec.Name != "old" {
		t.Fatalf("after Open: %v, %v", rec, err)
	}
}
