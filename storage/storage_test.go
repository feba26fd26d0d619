package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

func openTest(t *testing.T) (*Store, *DB) {
	t.Helper()
	s := Open(t.TempDir())
	t.Cleanup(func() { s.Close() })
	d, err := s.DB("notes", "")
	if err != nil {
		t.Fatal(err)
	}
	return s, d
}

func TestPutGetDeleteUsage(t *testing.T) {
	_, d := openTest(t)
	if _, err := d.Get([]byte("a")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get of a missing key: %v", err)
	}
	must(t, d.Put([]byte("a"), []byte("hello"), 100))
	must(t, d.Put([]byte("b"), []byte("xy"), 100))
	if v, err := d.Get([]byte("a")); err != nil || string(v) != "hello" {
		t.Fatalf("get a = %q, %v", v, err)
	}
	if u, _ := d.Usage(); u != 1+5+1+2 {
		t.Fatalf("usage %d, want 9", u)
	}
	must(t, d.Put([]byte("a"), []byte("h"), 100)) // overwrite shrinks
	if u, _ := d.Usage(); u != 1+1+1+2 {
		t.Fatalf("usage after overwrite %d, want 5", u)
	}
	if found, err := d.Delete([]byte("a")); !found || err != nil {
		t.Fatalf("delete a: %v %v", found, err)
	}
	if found, _ := d.Delete([]byte("a")); found {
		t.Fatal("deleted twice")
	}
	if u, _ := d.Usage(); u != 3 {
		t.Fatalf("usage after delete %d, want 3", u)
	}
}

// Read copies a value that fits, reports the length of one that does not without copying it,
// and refuses a missing key and a bad one.
func TestReadIntoBuffer(t *testing.T) {
	_, d := openTest(t)
	must(t, d.Put([]byte("a"), []byte("hello"), 100))
	buf := []byte("xxxxxxxx")
	if n, err := d.Read([]byte("a"), buf); err != nil || n != 5 || string(buf) != "helloxxx" {
		t.Fatalf("read into 8 bytes: %d %v %q", n, err, buf)
	}
	small := []byte("yy")
	if n, err := d.Read([]byte("a"), small); err != nil || n != 5 || string(small) != "yy" {
		t.Fatalf("read into 2 bytes: %d %v %q, want length 5 and nothing copied", n, err, small)
	}
	if _, err := d.Read([]byte("b"), buf); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read of a missing key: %v", err)
	}
	if _, err := d.Read(nil, buf); !errors.Is(err, ErrInvalid) {
		t.Fatalf("read of an empty key: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	_, d := openTest(t)
	for name, err := range map[string]error{
		"empty key":   d.Put(nil, []byte("x"), 1<<20),
		"long key":    d.Put(bytes.Repeat([]byte("k"), MaxKey+1), nil, 1<<30),
		"big value":   d.Put([]byte("k"), make([]byte, MaxValue+1), 1<<30),
		"many ops":    d.Batch(make([]Op, MaxBatchOps+1), 1<<30),
		"over quota":  d.Put([]byte("k"), make([]byte, 100), 50),
		"forged cur":  listErr(d, []byte("p"), []byte("kv1:q")),
		"garbage cur": listErr(d, nil, []byte("nonsense")),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if u, _ := d.Usage(); u != 0 {
		t.Fatalf("refused writes stored %d bytes", u)
	}
}

func listErr(d *DB, prefix, cursor []byte) error {
	_, _, err := d.List(prefix, cursor, 4096)
	return err
}

func TestBatchIsAtomicUnderQuota(t *testing.T) {
	_, d := openTest(t)
	must(t, d.Put([]byte("keep"), []byte("1234"), 100))
	ops := []Op{{Key: []byte("a"), Value: make([]byte, 40)}, {Key: []byte("keep"), Delete: true}, {Key: []byte("b"), Value: make([]byte, 60)}}
	if err := d.Batch(ops, 100); !errors.Is(err, ErrQuota) {
		t.Fatalf("batch over quota: %v", err)
	}
	if _, err := d.Get([]byte("a")); !errors.Is(err, ErrNotFound) {
		t.Fatal("a batch over quota wrote part of itself")
	}
	if v, _ := d.Get([]byte("keep")); string(v) != "1234" {
		t.Fatal("a batch over quota deleted part of itself")
	}
	must(t, d.Batch(ops[:2], 100))
	if u, _ := d.Usage(); u != 41 {
		t.Fatalf("usage %d, want 41", u)
	}
	// Over quota already (the quota was lowered): shrinking writes still go through.
	must(t, d.Put([]byte("a"), make([]byte, 10), 5))
}

func TestListPages(t *testing.T) {
	_, d := openTest(t)
	for i := range 50 {
		must(t, d.Put(fmt.Appendf(nil, "log/%03d", i), []byte("v"), 1<<20))
	}
	must(t, d.Put([]byte("other"), []byte("v"), 1<<20))
	var all [][]byte
	var cur []byte
	pages := 0
	for {
		keys, next, err := d.List([]byte("log/"), cur, 100) // 11 bytes a key: 9 per page
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, keys...)
		pages++
		if next == nil {
			break
		}
		cur = next
	}
	if len(all) != 50 || pages != 6 || string(all[0]) != "log/000" || string(all[49]) != "log/049" {
		t.Fatalf("listed %d keys in %d pages (%q .. %q)", len(all), pages, all[0], all[len(all)-1])
	}
	if _, _, err := d.List([]byte("log/"), nil, 5); !errors.Is(err, ErrTooBig) {
		t.Fatalf("a budget smaller than one key: %v", err)
	}
}

func TestNamespacesAreSeparate(t *testing.T) {
	s, d := openTest(t)
	must(t, d.Put([]byte("k"), []byte("mine"), 100))
	other, err := s.DB("notes", "ed25519:somebody")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Release()
	if _, err := other.Get([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatal("another publisher's module of the same name sees the data")
	}
	weird, err := s.DB("../../etc/x", "")
	if err != nil {
		t.Fatal(err)
	}
	defer weird.Release()
	if rel, err := filepath.Rel(s.Dir(), weird.Path()); err != nil || rel[0] == '.' {
		t.Fatalf("a name with slashes left the store: %s", weird.Path())
	}
}

func TestCorruptFileRefusesOnlyItsModule(t *testing.T) {
	s := Open(t.TempDir())
	defer s.Close()
	good, err := s.DB("good", "")
	must(t, err)
	must(t, good.Put([]byte("k"), []byte("v"), 100))
	bad := s.Path("bad", "")
	os.MkdirAll(filepath.Dir(bad), 0o700)
	must(t, os.WriteFile(bad, bytes.Repeat([]byte{0xAB}, 64<<10), 0o600))
	if _, err := s.DB("bad", ""); !errors.Is(err, ErrCorrupt) || !bytes.Contains([]byte(err.Error()), []byte(bad)) {
		t.Fatalf("a damaged file: %v (want ErrCorrupt naming %s)", err, bad)
	}
	if v, err := good.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("the other module lost its data: %q %v", v, err)
	}
}

func TestCorruptPageAfterOpen(t *testing.T) {
	dir := t.TempDir()
	s := Open(dir)
	d, err := s.DB("m", "")
	must(t, err)
	for i := range 200 {
		must(t, d.Put(fmt.Appendf(nil, "k%04d", i), bytes.Repeat([]byte("v"), 500), 1<<30))
	}
	d.Release()
	s.Close()
	// Damage the pages past the two meta pages: the data, not the header.
	f, err := os.OpenFile(s.Path("m", ""), os.O_RDWR, 0)
	must(t, err)
	st, _ := f.Stat()
	junk := bytes.Repeat([]byte{0xFF}, int(st.Size())-16384)
	f.WriteAt(junk, 16384)
	f.Close()
	s = Open(dir)
	defer s.Close()
	if d, err := s.DB("m", ""); err == nil {
		_, err = d.Get([]byte("k0100"))
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotFound) {
			t.Fatalf("a damaged page: %v", err)
		}
	} else if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open of a damaged file: %v", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	s, d := openTest(t)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := s.DB("notes", "")
			if err != nil {
				t.Error(err)
				return
			}
			defer db.Release()
			for i := range 50 {
				if err := db.Put(fmt.Appendf(nil, "w%d/%d", w, i), []byte("xx"), 1<<20); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	keys, _, err := d.List(nil, nil, 1<<20)
	if err != nil || len(keys) != 200 {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
	if u, _ := d.Usage(); u != int64(200*2)+sumLen(keys) {
		t.Fatalf("usage %d after concurrent writes", u)
	}
}

func sumLen(ks [][]byte) int64 {
	n := 0
	for _, k := range ks {
		n += len(k)
	}
	return int64(n)
}

func TestOneHandlePerNamespace(t *testing.T) {
	s := Open(t.TempDir())
	defer s.Close()
	a, err := s.DB("m", "")
	must(t, err)
	b, err := s.DB("m", "")
	must(t, err)
	if a != b {
		t.Fatal("two users of one namespace got two handles")
	}
	a.Release()
	must(t, b.Put([]byte("k"), []byte("v"), 10))
	b.Release()
	c, err := s.DB("m", "") // reopened from disk
	must(t, err)
	defer c.Release()
	if v, _ := c.Get([]byte("k")); string(v) != "v" {
		t.Fatal("data lost across a close")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestIdleFilesBounded(t *testing.T) {
	s := Open(t.TempDir())
	defer s.Close()
	for i := range MaxIdle + 6 {
		d, err := s.DB(fmt.Sprintf("m%d", i), "")
		must(t, err)
		d.Release()
	}
	s.mu.Lock()
	n, first := len(s.open), s.open[s.Path("m0", "")]
	s.mu.Unlock()
	if n != MaxIdle || first != nil {
		t.Fatalf("%d files open (want %d), oldest still open: %v", n, MaxIdle, first != nil)
	}
}

func TestIdleFileClosesAfterAWhile(t *testing.T) {
	s := Open(t.TempDir())
	defer s.Close()
	d, err := s.DB("m", "")
	must(t, err)
	d.Release()
	d2, err := s.DB("m", "") // reused before IdleClose: the same open file
	must(t, err)
	if d2 != d {
		t.Fatal("a namespace reopened within IdleClose was not reused")
	}
	d2.Release()
	testenv.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.open) == 0
	}, IdleClose+5*time.Second, "the idle file to close after IdleClose")
}
