package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	bolt "go.etcd.io/bbolt"
)

// Errors of lookups.
var (
	ErrNotFound     = errors.New("registry: module not found")
	ErrNotSatisfied = errors.New("registry: no version satisfies the range")
	ErrBusy         = errors.New("registry: the store is locked by another orbital process")
)

// Registry is a module store under an Orbital home. It holds no open files between calls:
// every operation opens the bbolt state (shared lock for reads, exclusive for installs) and
// the bleve index for its own duration, so several orbital processes can share one home.
type Registry struct {
	home string
	dir  string // home/registry
	// LockTimeout bounds the wait for another process's install (default 30s).
	LockTimeout time.Duration
	// Remotes are registry server URLs tried after the local store (from config.toml, or
	// set by --registry).
	Remotes []string
}

// Record is one installed version, as kept in the state database.
type Record struct {
	Name           string            `json:"name"`
	Version        string            `json:"version"`
	Kind           Kind              `json:"kind"`
	Description    string            `json:"description,omitempty"`
	EntryDigest    string            `json:"entry_digest"`
	ManifestDigest string            `json:"manifest_digest"`
	Files          map[string]string `json:"files,omitempty"`
	Publisher      string            `json:"publisher,omitempty"`
	Signed         bool              `json:"signed"`
	Derived        bool              `json:"derived,omitempty"` // manifest derived from a bare .wasm
	Script         bool              `json:"script,omitempty"`  // the entry is a JavaScript file (NAME.js)
	Source         string            `json:"source"`
	InstalledAt    time.Time         `json:"installed_at"`
	// Dir is the version's directory under modules/<name>/ when it is not the version itself:
	// a replaced or repaired version is written beside the live one and the record switched
	// to it in the commit transaction, so a crash never pairs a record with another's files.
	Dir string `json:"dir,omitempty"`
}

// ID is "name@version".
func (r *Record) ID() string { return r.Name + "@" + r.Version }

// dir is the name of the record's version directory under modules/<name>/.
func (r *Record) dir() string {
	if r.Dir != "" {
		return r.Dir
	}
	return r.Version
}

var (
	bucketVersions = []byte("versions") // "name\x00version" -> Record JSON
	bucketMeta     = []byte("meta")     // "gen" -> generation counter (bumped by each change)
)

// Open returns the registry stored under home, creating its directories, and finishes or
// rolls back an interrupted install: staging is emptied, files no record references are
// removed, and the search index is rebuilt if it lags behind the state.
func Open(home string) (*Registry, error) {
	if home == "" {
		return nil, errors.New("registry: no Orbital home given")
	}
	r := &Registry{home: home, dir: filepath.Join(home, "registry"), LockTimeout: 30 * time.Second}
	for _, d := range []string{r.dir, r.blobDir(), r.manifestDir(), r.stagingDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
	}
	cfg, err := LoadConfig(filepath.Join(home, "config.toml"))
	if err != nil {
		return nil, err
	}
	r.Remotes = cfg.Registries
	if err := r.recover(); err != nil {
		return nil, err
	}
	return r, nil
}

// Home is the Orbital home the registry lives in.
func (r *Registry) Home() string { return r.home }

// Dir is home/registry.
func (r *Registry) Dir() string { return r.dir }

func (r *Registry) blobDir() string     { return filepath.Join(r.dir, "blobs", "sha256") }
func (r *Registry) manifestDir() string { return filepath.Join(r.dir, "modules") }
func (r *Registry) stagingDir() string  { return filepath.Join(r.dir, "staging") }
func (r *Registry) dbPath() string      { return filepath.Join(r.dir, "state.db") }
func (r *Registry) indexPath() string   { return filepath.Join(r.dir, "index.bleve") }

// TrustPath is the trust list file.
func (r *Registry) TrustPath() string { return filepath.Join(r.dir, "trusted.toml") }

// BlobPath is where the blob with digest "sha256:<hex>" lives.
func (r *Registry) BlobPath(digest string) string {
	return filepath.Join(r.blobDir(), strings.TrimPrefix(digest, "sha256:"))
}

// versionDir holds one installed version: module.toml and NAME.wasm (a hard link to the
// entry blob, so a process loaded from it is named after the module). dir is the version, or
// the Record's Dir when it has one.
func (r *Registry) versionDir(name, dir string) string {
	return filepath.Join(r.manifestDir(), name, dir)
}

func (r *Registry) manifestPath(name, dir string) string {
	return filepath.Join(r.versionDir(name, dir), ManifestFile)
}

// EntryPath is the installed entry module of a version, named NAME.wasm (NAME.js for a
// script).
func (r *Registry) EntryPath(rec *Record) string {
	return filepath.Join(r.versionDir(rec.Name, rec.dir()), rec.Name+rec.entryExt())
}

// withDB opens the state database for one operation. write takes the exclusive lock.
func (r *Registry) withDB(write bool, fn func(db *bolt.DB) error) error {
	opts := &bolt.Options{Timeout: r.LockTimeout, ReadOnly: !write}
	if !write {
		if _, err := os.Stat(r.dbPath()); errors.Is(err, os.ErrNotExist) {
			// A read before the first write: create the file first.
			if err := r.withDB(true, func(*bolt.DB) error { return nil }); err != nil {
				return err
			}
		}
	}
	db, err := bolt.Open(r.dbPath(), 0o644, opts)
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("%w (waited %s for %s)", ErrBusy, r.LockTimeout, r.dbPath())
	}
	if err != nil {
		return fmt.Errorf("registry: open %s: %w", r.dbPath(), err)
	}
	defer db.Close()
	if write {
		if err := db.Update(func(tx *bolt.Tx) error {
			for _, b := range [][]byte{bucketVersions, bucketMeta, bucketDigests} {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return fn(db)
}

func recordKey(name, version string) []byte { return []byte(name + "\x00" + version) }

// records returns every installed version (of name, or all when name is ""), sorted by name
// then version, highest first.
func records(tx *bolt.Tx, name string) ([]*Record, error) {
	b := tx.Bucket(bucketVersions)
	if b == nil {
		return nil, nil
	}
	var out []*Record
	c := b.Cursor()
	prefix := []byte(name + "\x00")
	k, v := c.First()
	if name != "" {
		k, v = c.Seek(prefix)
	}
	for ; k != nil; k, v = c.Next() {
		if name != "" && !strings.HasPrefix(string(k), string(prefix)) {
			break
		}
		rec := &Record{}
		if err := json.Unmarshal(v, rec); err != nil {
			return nil, fmt.Errorf("registry: state record %q: %w", k, err)
		}
		out = append(out, rec)
	}
	sortRecords(out)
	return out, nil
}

func sortRecords(rs []*Record) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Name != rs[j].Name {
			return rs[i].Name < rs[j].Name
		}
		vi, ei := semver.NewVersion(rs[i].Version)
		vj, ej := semver.NewVersion(rs[j].Version)
		if ei != nil || ej != nil {
			return rs[i].Version > rs[j].Version
		}
		return vi.GreaterThan(vj)
	})
}

func generation(tx *bolt.Tx) uint64 {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0
	}
	var g uint64
	fmt.Sscan(string(b.Get([]byte("gen"))), &g)
	return g
}

func bumpGeneration(tx *bolt.Tx) (uint64, error) {
	g := generation(tx) + 1
	return g, tx.Bucket(bucketMeta).Put([]byte("gen"), []byte(fmt.Sprint(g)))
}

// List returns the installed versions, all of them or those of one name, highest first.
func (r *Registry) List(name string) ([]*Record, error) {
	var out []*Record
	err := r.withDB(false, func(db *bolt.DB) error {
		return db.View(func(tx *bolt.Tx) error {
			var err error
			out, err = records(tx, name)
			return err
		})
	})
	return out, err
}

// Manifest reads the installed manifest of name@version and checks it against the digest the
// state recorded.
func (r *Registry) Manifest(rec *Record) (*Manifest, error) {
	p := r.manifestPath(rec.Name, rec.dir())
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("registry: %s is recorded as installed but its manifest is unreadable: %w; reinstall it", rec.ID(), err)
	}
	if err := checkDigest(p, b, rec.ManifestDigest); err != nil {
		return nil, err
	}
	return ParseManifest(b, p)
}

// Best returns the highest installed version of name satisfying rng ("" or "*" = any).
func (r *Registry) Best(name, rng string) (*Record, error) {
	recs, err := r.List(name)
	if err != nil {
		return nil, err
	}
	return bestOf(name, rng, recs)
}

func bestOf(name, rng string, recs []*Record) (*Record, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: %s is not installed", ErrNotFound, name)
	}
	if rng == "" || rng == "*" || rng == "latest" {
		return recs[0], nil
	}
	c, err := semver.NewConstraint(rng)
	if err != nil {
		return nil, fmt.Errorf("registry: %s@%s: %q is not a version range: %v", name, rng, rng, err)
	}
	var have []string
	for _, rec := range recs {
		v, err := semver.NewVersion(rec.Version)
		if err == nil && c.Check(v) {
			return rec, nil
		}
		have = append(have, rec.Version)
	}
	return nil, fmt.Errorf("%w: %s %s (installed: %s); install a matching version", ErrNotSatisfied, name, rng, strings.Join(have, ", "))
}
