package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The installed identity of a module the kernel loaded is found by the digest of its bytes:
// one indexed lookup (bucket "digests", kept by install and rm in the same transaction as the
// record), never a scan of every installed record.
var (
	// bucketDigests maps "sha256:<hex>\x00name\x00version" to nothing: every installed
	// version by the digest of its entry module. A digest may be installed under several
	// names or versions (the same .wasm twice).
	bucketDigests = []byte("digests")
	// metaDigests marks the index as built for every record (homes made before it existed
	// get it built once, by the first Open).
	metaDigests = []byte("digests-built")
)

func digestKey(rec *Record) []byte {
	return []byte(rec.EntryDigest + "\x00" + rec.Name + "\x00" + rec.Version)
}

// indexDigest adds rec to the digest index (in the transaction that writes rec), dropping
// the entry of the record it replaces, if any.
func indexDigest(tx *bolt.Tx, old, rec *Record) error {
	b := tx.Bucket(bucketDigests)
	if old != nil {
		if err := b.Delete(digestKey(old)); err != nil {
			return err
		}
	}
	return b.Put(digestKey(rec), nil)
}

// unindexDigest removes rec from the digest index (in the transaction that deletes rec).
func unindexDigest(tx *bolt.Tx, rec *Record) error {
	return tx.Bucket(bucketDigests).Delete(digestKey(rec))
}

// buildDigestIndex fills the digest index from the records once (exclusive lock held).
func buildDigestIndex(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta).Get(metaDigests) != nil {
			return nil
		}
		recs, err := records(tx, "")
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := indexDigest(tx, nil, rec); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(metaDigests, []byte("1"))
	})
}

// ByDigest returns the installed version whose entry module has digest ("sha256:<hex>" or the
// bare hex the kernel reports) and its manifest. When several installed versions share the
// bytes, the one named name wins, then the highest version. A digest nobody installed is
// ErrNotFound; any other error (the state unreadable, the manifest missing or tampered with)
// is returned as is, so a caller never mistakes a broken install for "not installed".
func (r *Registry) ByDigest(digest, name string) (*Record, *Manifest, error) {
	if !strings.HasPrefix(digest, "sha256:") {
		digest = "sha256:" + digest
	}
	var rec *Record
	err := r.withDB(false, func(db *bolt.DB) error {
		return db.View(func(tx *bolt.Tx) error {
			var cands []*Record
			prefix := []byte(digest + "\x00")
			if b := tx.Bucket(bucketDigests); b != nil {
				c := b.Cursor()
				for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
					n, v, _ := strings.Cut(string(k[len(prefix):]), "\x00")
					got, err := record(tx, n, v)
					if err != nil {
						return err
					}
					if got != nil {
						cands = append(cands, got)
					}
				}
			}
			rec = pickIdentity(cands, name)
			return nil
		})
	})
	if err != nil {
		return nil, nil, err
	}
	if rec == nil {
		return nil, nil, fmt.Errorf("%w: no installed module has digest %s", ErrNotFound, digest)
	}
	m, err := r.Manifest(rec)
	if err != nil {
		return nil, nil, err
	}
	return rec, m, nil
}

// pickIdentity prefers the candidate named name, then the highest version.
func pickIdentity(cands []*Record, name string) *Record {
	if len(cands) == 0 {
		return nil
	}
	sortRecords(cands)
	for _, c := range cands {
		if c.Name == name {
			return c
		}
	}
	return cands[0]
}

// record reads one state record (nil when absent).
func record(tx *bolt.Tx, name, version string) (*Record, error) {
	b := tx.Bucket(bucketVersions)
	if b == nil {
		return nil, nil
	}
	v := b.Get(recordKey(name, version))
	if v == nil {
		return nil, nil
	}
	rec := &Record{}
	if err := json.Unmarshal(v, rec); err != nil {
		return nil, fmt.Errorf("registry: state record %s@%s: %w", name, version, err)
	}
	return rec, nil
}
