package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/blevesearch/bleve/v2"
	bolt "go.etcd.io/bbolt"
)

// Errors of installs and removals.
var (
	ErrDowngrade = errors.New("registry: a newer version is installed")
	ErrConflict  = errors.New("registry: this version is installed with different content")
	ErrCycle     = errors.New("registry: dependency cycle")
	ErrInUse     = errors.New("registry: other installed modules need it")
	ErrPublisher = errors.New("registry: the name belongs to another publisher")
)

// InstallOptions tune Install.
type InstallOptions struct {
	// AllowDowngrade installs a version older than the highest one installed.
	AllowDowngrade bool
	// Replace lets a package replace an installed version of the same number but different
	// content (a module rebuilt during development); without it that is ErrConflict.
	Replace bool
	// AllowUnsigned accepts an unsigned package from a remote registry.
	AllowUnsigned bool
	// AllowUntrusted accepts a package signed by a publisher not in the trust list when it
	// comes from a remote registry. A bad signature is refused whatever the options.
	AllowUntrusted bool
	// Fetch tunes downloads (progress, size cap, retries, timeout).
	Fetch FetchOptions
	// ManifestDir, if set, gives bare .wasm files a real manifest: for X.wasm the installer
	// uses ManifestDir/X/module.toml when it exists (its entry digest is taken from the file).
	// `orbital install --manifests modules build/modules` installs the demos this way.
	ManifestDir string
	// KeepPublisher refuses a package whose publisher differs from that of an installed
	// version of the same name (a registry server's rule: a name keeps its first publisher).
	// It is checked under the install lock, so two publishers racing for a new name cannot
	// both win.
	KeepPublisher bool
	// Check, if set, vets the manifest before anything is written (cmd/orbital checks the
	// requested permissions with the policies package here).
	Check func(*Manifest) error
	// Log receives one line per step for humans ("fetching ...", "installed ...").
	Log func(string)
	// AfterStep, if set, is called after each step of InstallSteps with the state lock held
	// (the kill test stops the process there); nil in production.
	AfterStep func(step string)
}

func (o *InstallOptions) log(f string, a ...any) {
	if o.Log != nil {
		o.Log(fmt.Sprintf(f, a...))
	}
}

// origin says where a package came from, which decides how much trust it needs.
type origin struct {
	Source string // what the user gave, for the record
	Remote bool   // from a registry server: signature and trusted publisher required
}

// InstallSteps name the steps of an install in order (registry/doc.go). InstallOptions.AfterStep
// hears each one as it completes; a process killed there must leave the old state (before
// "committed") or the complete new one (from "committed" on).
var InstallSteps = []string{"locked", "staged", "blobs", "manifest", "committed", "indexed"}

func (o *InstallOptions) step(name string) {
	if o.AfterStep != nil {
		o.AfterStep(name)
	}
}

// installPackage verifies pkg and commits it to the store. It is the only way a module gets
// in. Steps, under the exclusive state lock: check versions, stage blobs (fsync), rename
// blobs into place, write the manifest (atomic), commit the state record (the commit point),
// update the search index, clear staging.
func (r *Registry) installPackage(ctx context.Context, pkg *Package, from origin, opt *InstallOptions) (*Record, bool, error) {
	m := pkg.Manifest
	if err := m.Validate(); err != nil {
		return nil, false, err
	}
	if err := pkg.Verify(); err != nil {
		return nil, false, err
	}
	if m.Kind != KindDriver { // what no kernel with default limits would compile is not installed
		if err := CheckWasmLimits(pkg.Entry, WasmLimits{}); errors.Is(err, ErrWasmLimit) {
			return nil, false, fmt.Errorf("%s: %s: %w", m.ID(), m.Entry, err)
		}
	}
	if opt.Check != nil {
		if err := opt.Check(m); err != nil {
			return nil, false, err
		}
	}
	if err := r.checkTrust(m, from, opt); err != nil {
		return nil, false, err
	}
	if err := r.ensureDeps(ctx, m, opt, map[string]bool{m.Name: true}); err != nil {
		return nil, false, err
	}
	manifestBytes := m.Encode()
	rec := &Record{Name: m.Name, Version: m.Version, Kind: m.Kind, Description: m.Description,
		EntryDigest: m.EntryDigest, ManifestDigest: Digest(manifestBytes), Files: m.Files,
		Publisher: m.Publisher, Signed: m.Signature != "", Derived: pkg.Derived, Script: IsScript(m.Entry), Source: from.Source, InstalledAt: time.Now().UTC()}

	already := false
	err := r.withDB(true, func(db *bolt.DB) error {
		opt.step("locked")
		var existing []*Record
		if err := db.View(func(tx *bolt.Tx) error {
			var err error
			existing, err = records(tx, m.Name)
			return err
		}); err != nil {
			return err
		}
		if opt.KeepPublisher {
			if err := keepsPublisher(m, existing); err != nil {
				return err
			}
		}
		repair := false
		for _, e := range existing {
			if e.Version == m.Version {
				// A repair or replacement is written beside the live version (rec.Dir) and
				// switched to in the commit transaction.
				rec.Dir = sideDir(e, rec.ManifestDigest)
				if e.ManifestDigest == rec.ManifestDigest {
					if b, err := os.ReadFile(r.EntryPath(e)); err == nil && Digest(b) == e.EntryDigest {
						already = true
						return nil
					}
					repair = true // same package, damaged on disk: write it again
					break
				}
				if opt.Replace {
					repair = true // local development: the same version rebuilt
					break
				}
				return fmt.Errorf("%w: %s is installed from %s with another manifest (%s); bump the version, or run orbital rm %s first", ErrConflict, m.ID(), e.Source, e.ManifestDigest, m.ID()+" (or pass --replace)")
			}
		}
		if len(existing) > 0 && !opt.AllowDowngrade && !repair {
			if top, err := semver.NewVersion(existing[0].Version); err == nil && top.GreaterThan(m.SemVer()) {
				return fmt.Errorf("%w: %s %s is installed and %s is older; pass --allow-downgrade to install it anyway", ErrDowngrade, m.Name, existing[0].Version, m.Version)
			}
		}
		if err := r.checkCycle(db, m); err != nil {
			return err
		}
		return r.commit(db, pkg, manifestBytes, rec, repair, opt)
	})
	if err != nil {
		return nil, false, err
	}
	return rec, already, nil
}

// sideDir names the directory a repair or replacement of live is written to: never live's own,
// so the live files stay intact until the record switches.
func sideDir(live *Record, manifestDigest string) string {
	if live.dir() != live.Version {
		return "" // the plain version directory is free
	}
	return live.Version + "~" + strings.TrimPrefix(manifestDigest, "sha256:")[:12]
}

// commit runs the file steps and the state transaction. Called with the exclusive lock held.
// replacing says a record of the same version exists: its files go once the commit is done.
func (r *Registry) commit(db *bolt.DB, pkg *Package, manifestBytes []byte, rec *Record, replacing bool, opt *InstallOptions) error {
	stage, err := os.MkdirTemp(r.stagingDir(), "install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	blobs := map[string][]byte{pkg.Manifest.EntryDigest: pkg.Entry}
	for f, b := range pkg.Files {
		blobs[pkg.Manifest.Files[f]] = b
	}
	for d, b := range blobs {
		if err := writeSynced(filepath.Join(stage, strings.TrimPrefix(d, "sha256:")), b); err != nil {
			return err
		}
	}
	if err := writeSynced(filepath.Join(stage, "module.toml"), manifestBytes); err != nil {
		return err
	}
	if err := syncDir(stage); err != nil {
		return err
	}
	opt.step("staged")

	for d, b := range blobs {
		dst := r.BlobPath(d)
		if have, err := os.ReadFile(dst); err == nil && Digest(have) == d {
			continue // content-addressed: already there and intact
		}
		_ = b
		if err := os.Rename(filepath.Join(stage, strings.TrimPrefix(d, "sha256:")), dst); err != nil {
			return err
		}
	}
	if err := syncDir(r.blobDir()); err != nil {
		return err
	}
	opt.step("blobs")

	// The version directory: module.toml and NAME.wasm linked to the blob, staged, then
	// renamed into place in one step.
	vstage := filepath.Join(stage, "version")
	if err := os.Mkdir(vstage, 0o755); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(stage, "module.toml"), filepath.Join(vstage, ManifestFile)); err != nil {
		return err
	}
	entry := filepath.Join(vstage, rec.Name+rec.entryExt())
	if err := os.Link(r.BlobPath(rec.EntryDigest), entry); err != nil {
		if err := writeSynced(entry, pkg.Entry); err != nil { // no hard links here: a copy
			return err
		}
	}
	if err := syncDir(vstage); err != nil {
		return err
	}
	mdir := filepath.Join(r.manifestDir(), rec.Name)
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		return err
	}
	vdir := r.versionDir(rec.Name, rec.dir())
	if err := os.RemoveAll(vdir); err != nil { // an orphan of an interrupted install (never a live version: see sideDir)
		return err
	}
	if err := os.Rename(vstage, vdir); err != nil {
		return err
	}
	if err := syncDir(mdir); err != nil {
		return err
	}
	opt.step("manifest")

	var gen uint64
	if err := db.Update(func(tx *bolt.Tx) error {
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		old, err := record(tx, rec.Name, rec.Version) // a version replaced in place (--replace)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketVersions).Put(recordKey(rec.Name, rec.Version), v); err != nil {
			return err
		}
		if err := indexDigest(tx, old, rec); err != nil {
			return err
		}
		gen, err = bumpGeneration(tx)
		return err
	}); err != nil {
		return fmt.Errorf("registry: commit %s: %w", rec.ID(), err)
	}
	if replacing {
		if err := r.collectGarbage(db); err != nil { // the replaced version's files
			return err
		}
	}
	opt.step("committed")

	if err := r.updateIndex(db, []string{rec.Name}, gen); err != nil {
		return err
	}
	opt.step("indexed")
	return nil
}

// updateIndex re-indexes the given names from the state (exclusive lock held).
func (r *Registry) updateIndex(db *bolt.DB, names []string, gen uint64) error {
	docs := map[string]*Manifest{}
	if err := db.View(func(tx *bolt.Tx) error {
		for _, n := range names {
			recs, err := records(tx, n)
			if err != nil {
				return err
			}
			docs[n] = nil
			if len(recs) > 0 {
				if m, err := r.Manifest(recs[0]); err == nil {
					docs[n] = m
				}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return r.withIndex(true, func(idx bleve.Index) error { return reindex(idx, docs, gen) })
}

func reindex(idx bleve.Index, docs map[string]*Manifest, gen uint64) error {
	batch := idx.NewBatch()
	for name, m := range docs {
		if m == nil {
			batch.Delete(name)
			continue
		}
		if err := batch.Index(name, docOf(m)); err != nil {
			return err
		}
	}
	batch.SetInternal([]byte("gen"), []byte(fmt.Sprint(gen)))
	return idx.Batch(batch)
}

// keepsPublisher refuses m when an installed version of its name has another publisher.
func keepsPublisher(m *Manifest, installed []*Record) error {
	for _, rec := range installed {
		if rec.Publisher != m.Publisher {
			return fmt.Errorf("%w: %s is published here by %s; %s may not publish versions of it", ErrPublisher, m.Name, rec.Publisher, m.Publisher)
		}
	}
	return nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkTrust applies the signature rules: a signature present must verify; from a remote
// registry the package must be signed by a trusted publisher unless the options allow less.
func (r *Registry) checkTrust(m *Manifest, from origin, opt *InstallOptions) error {
	if m.Signature != "" || m.Publisher != "" {
		if err := VerifySignature(m); err != nil {
			return err
		}
	}
	if !from.Remote {
		return nil
	}
	if m.Signature == "" {
		if opt.AllowUnsigned {
			return nil
		}
		return fmt.Errorf("%w: %s from %s; pass --allow-unsigned to install it anyway", ErrUnsigned, m.ID(), from.Source)
	}
	trust, err := LoadTrust(r.TrustPath())
	if err != nil {
		return err
	}
	if !trust.Trusted(m.Publisher) && !opt.AllowUntrusted {
		return fmt.Errorf("%w: %s is signed by %s, which %s does not list; run orbital registry trust %s if you trust it", ErrUntrusted, m.ID(), m.Publisher, r.TrustPath(), m.Publisher)
	}
	return nil
}

// ensureDeps makes sure every library dependency has an installed version in range, fetching
// missing ones from the remotes. seen guards against cycles among fetched packages.
func (r *Registry) ensureDeps(ctx context.Context, m *Manifest, opt *InstallOptions, seen map[string]bool) error {
	for _, dep := range sortedKeys(m.Dependencies) {
		rng := m.Dependencies[dep]
		_, err := r.Best(dep, rng)
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNotSatisfied) {
			return err
		}
		if seen[dep] {
			return fmt.Errorf("%w: %s needs %s, which needs %s again", ErrCycle, m.Name, dep, dep)
		}
		if len(r.Remotes) == 0 {
			return fmt.Errorf("%s needs library %s %s: %w; install it first (or configure a remote registry)", m.ID(), dep, rng, err)
		}
		opt.log("%s needs %s %s: fetching it", m.ID(), dep, rng)
		pkg, from, rerr := r.fetchRemote(ctx, dep, rng, opt)
		if rerr != nil {
			return fmt.Errorf("%s needs library %s %s: %w", m.ID(), dep, rng, rerr)
		}
		seen[dep] = true
		if err := r.ensureDeps(ctx, pkg.Manifest, opt, seen); err != nil {
			return err
		}
		if _, _, err := r.installPackage(ctx, pkg, from, opt); err != nil {
			return err
		}
	}
	return nil
}

// checkCycle walks the dependency graph from m through the best installed versions and
// refuses a cycle back to m (exclusive lock held).
func (r *Registry) checkCycle(db *bolt.DB, m *Manifest) error {
	return db.View(func(tx *bolt.Tx) error {
		var walk func(deps map[string]string, path []string) error
		walk = func(deps map[string]string, path []string) error {
			for _, dep := range sortedKeys(deps) {
				if dep == m.Name {
					return fmt.Errorf("%w: %s -> %s", ErrCycle, strings.Join(path, " -> "), dep)
				}
				if len(path) > 32 {
					return fmt.Errorf("%w: dependency chain longer than 32: %s", ErrCycle, strings.Join(path, " -> "))
				}
				recs, err := records(tx, dep)
				if err != nil {
					return err
				}
				rec, err := bestOf(dep, deps[dep], recs)
				if err != nil {
					continue // reported at spawn time if still missing
				}
				dm, err := r.Manifest(rec)
				if err != nil {
					return err
				}
				if err := walk(dm.Dependencies, append(path, dep)); err != nil {
					return err
				}
			}
			return nil
		}
		return walk(m.Dependencies, []string{m.Name})
	})
}
