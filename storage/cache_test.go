package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// read is d.Read into a buffer of n bytes: the value ("" when absent) and its length.
func read(t *testing.T, d *DB, key string, n int) (string, int, error) {
	t.Helper()
	buf := make([]byte, n)
	l, err := d.Read([]byte(key), buf)
	if err != nil || l > n {
		return "", l, err
	}
	return string(buf[:l]), l, err
}

// wantRead fails unless Read of key gives want (absent: ErrNotFound).
func wantRead(t *testing.T, d *DB, key, want string, absent bool) {
	t.Helper()
	for i := range 2 { // the first read may fill the cache, the second is served from it
		v, _, err := read(t, d, key, 64)
		switch {
		case absent && !errors.Is(err, ErrNotFound):
			t.Fatalf("read %d of %q: %q %v, want not found", i, key, v, err)
		case !absent && (err != nil || v != want):
			t.Fatalf("read %d of %q: %q %v, want %q", i, key, v, err, want)
		}
	}
}

// Every kind of write is seen by the next Read, though the value read before it is cached.
func TestReadCacheFollowsEveryWrite(t *testing.T) {
	_, d := openTest(t)
	must(t, d.Put([]byte("k"), []byte("v1"), 1<<20))
	wantRead(t, d, "k", "v1", false)
	wantRead(t, d, "gone", "", true)
	steps := []struct {
		name   string
		write  func() error
		key    string
		want   string
		absent bool
	}{
		{"put", func() error { return d.Put([]byte("k"), []byte("v2"), 1<<20) }, "k", "v2", false},
		{"put of a missing key", func() error { return d.Put([]byte("gone"), []byte("back"), 1<<20) }, "gone", "back", false},
		{"batch", func() error {
			return d.Batch([]Op{{Key: []byte("k"), Value: []byte("v3")}, {Key: []byte("gone"), Delete: true}}, 1<<20)
		}, "k", "v3", false},
		{"batch's delete", func() error { return nil }, "gone", "", true},
		{"refused batch changes nothing", func() error {
			if err := d.Batch([]Op{{Key: []byte("k"), Value: make([]byte, 100)}}, 10); !errors.Is(err, ErrQuota) {
				t.Fatalf("over quota: %v", err)
			}
			return nil
		}, "k", "v3", false},
		{"delete", func() error { _, err := d.Delete([]byte("k")); return err }, "k", "", true},
		{"empty value", func() error { return d.Put([]byte("k"), nil, 1<<20) }, "k", "", false},
	}
	for _, s := range steps {
		must(t, s.write())
		wantRead(t, d, s.key, s.want, s.absent)
	}
	// A value too big to cache, and a buffer too small for a cached value.
	big := bytes.Repeat([]byte("b"), cacheMaxValue+1)
	must(t, d.Put([]byte("big"), big, 1<<20))
	for i := range 2 {
		if v, n, err := read(t, d, "big", len(big)); err != nil || n != len(big) || v != string(big) {
			t.Fatalf("read %d of the big value: %d bytes, %v", i, n, err)
		}
	}
	must(t, d.Put([]byte("k"), []byte("0123456789"), 1<<20))
	wantRead(t, d, "k", "0123456789", false)
	if v, n, err := read(t, d, "k", 4); err != nil || n != 10 || v != "" {
		t.Fatalf("read into 4 bytes: %q %d %v, want nothing copied and length 10", v, n, err)
	}
}

// A value a read took from the file just before a write committed is not kept: the write
// lands between Read's transaction and its cache fill, and the next Read sees it.
func TestReadCacheSkipsValueOlderThanAWrite(t *testing.T) {
	_, d := openTest(t)
	must(t, d.Put([]byte("k"), []byte("old"), 1<<20))
	hook(t, "read", func() { must(t, d.Put([]byte("k"), []byte("new"), 1<<20)) })
	if v, _, err := read(t, d, "k", 64); err != nil || v != "old" {
		t.Fatalf("first read: %q %v", v, err)
	}
	wantRead(t, d, "k", "new", false)
}

// hook sets testHook to run fn once, the first time it is reached at at.
func hook(t *testing.T, at string, fn func()) {
	testHook = func(where string) {
		if where == at {
			testHook = nil
			fn()
		}
	}
	t.Cleanup(func() { testHook = nil })
}

// Between a write's commit and the end of its cache pause, a Read sees the written value, not
// the one cached before.
func TestReadCachePausedUntilTheWriteEnds(t *testing.T) {
	_, d := openTest(t)
	must(t, d.Put([]byte("k"), []byte("old"), 1<<20))
	wantRead(t, d, "k", "old", false)
	reached := false
	hook(t, "committed", func() {
		reached = true
		if v, _, err := read(t, d, "k", 64); err != nil || v != "new" {
			t.Errorf("read right after the commit: %q %v, want new", v, err)
		}
	})
	must(t, d.Put([]byte("k"), []byte("new"), 1<<20))
	if !reached {
		t.Fatal("the hook did not run")
	}
}

// A read that began before the file was closed keeps nothing in the cache after it.
func TestReadCacheNotFilledAfterClose(t *testing.T) {
	s, d := openTest(t)
	must(t, d.Put([]byte("k"), []byte("v"), 1<<20))
	hook(t, "read", func() { must(t, s.Close()) })
	if v, _, err := read(t, d, "k", 64); err != nil || v != "v" {
		t.Fatalf("read as the store closes: %q %v", v, err)
	}
	if v, _, err := read(t, d, "k", 64); err == nil {
		t.Fatalf("read after close: %q, want an error", v)
	}
}

// A closed namespace serves nothing from its cache, and a file changed while it was closed
// (by another Orbital process, a restore) is read afresh when it is opened again.
func TestReadCacheEndsWithTheFile(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	d, err := s.DB("notes", "")
	if err != nil {
		t.Fatal(err)
	}
	must(t, d.Put([]byte("k"), []byte("v1"), 1<<20))
	wantRead(t, d, "k", "v1", false)
	path := d.Path()
	must(t, s.Close())
	if v, _, err := read(t, d, "k", 64); err == nil {
		t.Fatalf("read after close: %q, want an error", v)
	}
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	must(t, b.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketKV).Put([]byte("k"), []byte("v2")) }))
	must(t, b.Close())
	s2 := Open(dir)
	defer s2.Close()
	d2, err := s2.DB("notes", "")
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Release()
	wantRead(t, d2, "k", "v2", false)
}

// Readers racing a writer never see a value older than the last acknowledged write, and each
// reader's values never go back.
func TestReadCacheUnderConcurrentWrites(t *testing.T) {
	_, d := openTest(t)
	const writes, readers = 150, 3
	var acked atomic.Uint64
	put := func(i uint64) error {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], i)
		if i%2 == 0 {
			return d.Batch([]Op{{Key: []byte("n"), Value: b[:]}, {Key: []byte("other"), Value: b[:]}}, 1<<20)
		}
		return d.Put([]byte("n"), b[:], 1<<20)
	}
	must(t, put(0))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		wg.Go(func() {
			var last uint64
			buf := make([]byte, 8)
			for {
				select {
				case <-stop:
					return
				default:
				}
				floor := acked.Load()
				if _, err := d.Read([]byte("n"), buf); err != nil {
					errs <- err
					return
				}
				v := binary.LittleEndian.Uint64(buf)
				if v < floor || v < last {
					errs <- errors.New("stale read")
					t.Errorf("read %d after write %d was acknowledged (this reader saw %d before)", v, floor, last)
					return
				}
				last = v
			}
		})
	}
	for i := uint64(1); i <= writes; i++ {
		must(t, put(i))
		acked.Store(i)
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}
