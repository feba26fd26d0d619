package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestSnapshotWhileWriting copies every namespace while a writer goes on: each copy opens as a
// namespace holding a prefix of the writes, and a damaged file is copied as it is, with a
// warning.
func TestSnapshotWhileWriting(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	defer s.Close()
	a, err := s.DB("alpha", "")
	must(t, err)
	for i := range 50 {
		must(t, a.Put(fmt.Appendf(nil, "k%03d", i), []byte("v"), 1<<20))
	}
	b, err := s.DB("beta", "ed25519:key")
	must(t, err)
	must(t, b.Put([]byte("x"), []byte("y"), 1<<20))
	b.Release()
	os.WriteFile(s.Path("gamma", ""), []byte("not a bbolt file"), 0o600)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 50; i < 300; i++ {
			a.Put(fmt.Appendf(nil, "k%03d", i), []byte("v"), 1<<20)
		}
	}()
	dst := t.TempDir()
	files, warnings, err := s.Snapshot(dst)
	wg.Wait()
	a.Release()
	must(t, err)
	if len(files) != 3 || len(warnings) != 1 {
		t.Fatalf("files %v warnings %v", files, warnings)
	}
	copyStore := Open(dst)
	defer copyStore.Close()
	ca, err := copyStore.DB("alpha", "")
	must(t, err)
	keys, _, err := ca.List(nil, nil, 1<<20)
	must(t, err)
	if len(keys) < 50 || len(keys) > 300 {
		t.Fatalf("snapshot holds %d keys", len(keys))
	}
	if u, _ := ca.Usage(); u != int64(len(keys))*5 {
		t.Errorf("usage %d for %d keys", u, len(keys))
	}
	cb, err := copyStore.DB("beta", "ed25519:key")
	must(t, err)
	if v, err := cb.Get([]byte("x")); err != nil || string(v) != "y" {
		t.Errorf("beta: %q %v", v, err)
	}
	raw, _ := os.ReadFile(filepath.Join(dst, "local", "gamma.db"))
	if string(raw) != "not a bbolt file" {
		t.Errorf("damaged file copied as %q", raw)
	}
}
