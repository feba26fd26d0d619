package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blevesearch/bleve/v2"
	bolt "go.etcd.io/bbolt"
)

// What deletes files: crash recovery at Open, the garbage collection of unreferenced versions
// and blobs, and Remove.

// recover finishes the work of an interrupted install or removal: staging is emptied, files
// no record references are deleted, and a lagging search index is rebuilt.
func (r *Registry) recover() error {
	return r.withDB(true, func(db *bolt.DB) error {
		if err := clearDir(r.stagingDir()); err != nil {
			return err
		}
		if err := r.collectGarbage(db); err != nil {
			return err
		}
		if err := buildDigestIndex(db); err != nil {
			return err
		}
		var gen uint64
		var names []string
		if err := db.View(func(tx *bolt.Tx) error {
			gen = generation(tx)
			recs, err := records(tx, "")
			for _, rec := range recs {
				if len(names) == 0 || names[len(names)-1] != rec.Name {
					names = append(names, rec.Name)
				}
			}
			return err
		}); err != nil {
			return err
		}
		var idxGen uint64
		ierr := r.withIndex(false, func(idx bleve.Index) error {
			idxGen = indexGeneration(idx)
			return nil
		})
		if ierr == nil && idxGen == gen {
			return nil
		}
		if err := os.RemoveAll(r.indexPath()); err != nil {
			return err
		}
		return r.updateIndex(db, names, gen)
	})
}

func clearDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// collectGarbage removes manifests and blobs that no state record references.
func (r *Registry) collectGarbage(db *bolt.DB) error {
	keepBlobs := map[string]bool{}
	keepVersions := map[string]bool{}
	if err := db.View(func(tx *bolt.Tx) error {
		recs, err := records(tx, "")
		for _, rec := range recs {
			keepVersions[r.versionDir(rec.Name, rec.dir())] = true
			keepBlobs[strings.TrimPrefix(rec.EntryDigest, "sha256:")] = true
			for _, d := range rec.Files {
				keepBlobs[strings.TrimPrefix(d, "sha256:")] = true
			}
		}
		return err
	}); err != nil {
		return err
	}
	blobs, err := os.ReadDir(r.blobDir())
	if err != nil {
		return err
	}
	for _, b := range blobs {
		if !keepBlobs[b.Name()] {
			os.Remove(filepath.Join(r.blobDir(), b.Name()))
		}
	}
	vers, _ := filepath.Glob(filepath.Join(r.manifestDir(), "*", "*"))
	for _, p := range vers {
		if !keepVersions[p] {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			os.Remove(filepath.Dir(p)) // only succeeds when empty
		}
	}
	return nil
}

// Remove uninstalls name (every version when version is "") and reports what it removed. A
// library another installed module still needs is refused unless force is set.
func (r *Registry) Remove(name, version string, force bool) ([]*Record, error) {
	var removed []*Record
	err := r.withDB(true, func(db *bolt.DB) error {
		var all []*Record
		if err := db.View(func(tx *bolt.Tx) error {
			var err error
			all, err = records(tx, "")
			return err
		}); err != nil {
			return err
		}
		var left []*Record
		for _, rec := range all {
			if rec.Name == name && (version == "" || rec.Version == version) {
				removed = append(removed, rec)
			} else if rec.Name == name {
				left = append(left, rec)
			}
		}
		if len(removed) == 0 {
			what := name
			if version != "" {
				what += "@" + version
			}
			return fmt.Errorf("%w: %s is not installed (see orbital ls)", ErrNotFound, what)
		}
		if !force {
			for _, rec := range all {
				if rec.Name == name {
					continue
				}
				m, err := r.Manifest(rec)
				if err != nil {
					continue
				}
				if rng, ok := m.Dependencies[name]; ok {
					if _, err := bestOf(name, rng, left); err != nil {
						return fmt.Errorf("%w: %s needs %s %s; remove it first or pass --force", ErrInUse, rec.ID(), name, rng)
					}
				}
			}
		}
		var gen uint64
		if err := db.Update(func(tx *bolt.Tx) error {
			for _, rec := range removed {
				if err := tx.Bucket(bucketVersions).Delete(recordKey(rec.Name, rec.Version)); err != nil {
					return err
				}
				if err := unindexDigest(tx, rec); err != nil {
					return err
				}
			}
			var err error
			gen, err = bumpGeneration(tx)
			return err
		}); err != nil {
			return err
		}
		if err := r.collectGarbage(db); err != nil {
			return err
		}
		return r.updateIndex(db, []string{name}, gen)
	})
	return removed, err
}
