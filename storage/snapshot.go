package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Snapshot writes a consistent copy of every namespace file of the store into dst, under the
// same relative paths, and returns those paths. Each copy is one bbolt read transaction
// (Tx.WriteTo) on the store's own open file, so writers go on meanwhile and no other process
// needs the file's lock. A damaged file is copied as it is and named in warnings: a backup
// keeps what it cannot read rather than dropping it.
func (s *Store) Snapshot(dst string) (files, warnings []string, err error) {
	err = filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == s.dir {
			return fs.SkipDir // nothing stored yet
		}
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".db") {
			return err
		}
		rel, err := filepath.Rel(s.dir, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
			return err
		}
		db, err := s.dbAt(p)
		if errors.Is(err, ErrCorrupt) {
			warnings = append(warnings, err.Error())
			if err := copyRaw(p, out); err != nil {
				return err
			}
			files = append(files, rel)
			return nil
		}
		if err != nil {
			return err
		}
		err = db.view(func(tx *bolt.Tx) error { return tx.CopyFile(out, 0o600) })
		db.Release()
		if err != nil {
			return fmt.Errorf("storage: snapshot %s: %w", p, err)
		}
		files = append(files, rel)
		return nil
	})
	return files, warnings, err
}

func copyRaw(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Usage is the bytes module from publisher keeps (0 when it never stored anything); it creates
// no file.
func (s *Store) Usage(module, publisher string) (int64, error) {
	p := s.Path(module, publisher)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	db, err := s.dbAt(p)
	if err != nil {
		return 0, err
	}
	defer db.Release()
	return db.Usage()
}
