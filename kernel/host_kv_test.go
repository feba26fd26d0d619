package kernel

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/storage"
)

// kvWAT imports the storage family; key "key" at 64, value "value" at 80, a buffer at 1024.
func kvWAT(body string) string {
	return strings.Replace(wat(`
  (data (i32.const 64) "key")
  (data (i32.const 80) "value")
`+body), "  (memory", `  (import "orbital" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "orbital" "kv_put" (func $put (param i32 i32 i32 i32) (result i32)))
  (import "orbital" "kv_delete" (func $del (param i32 i32) (result i32)))
  (import "orbital" "kv_batch" (func $batch (param i32 i32) (result i32)))
  (memory`, 1)
}

// kvRun runs the guest and returns its exit code (a negated ABI code, or 0).
func kvRun(t testing.TB, k *Kernel, name, src string) int {
	t.Helper()
	p := spawn(t, k, watModule(t, k, name, src), SpawnOptions{Name: "kvmod"})
	return wait(t, p, 10*time.Second).ExitCode
}

func kvKernel(t testing.TB, quota string) *Kernel {
	t.Helper()
	files := map[string]string{}
	if quota != "" {
		files["kvmod.toml"] = "[module]\nmatch = \"kvmod\"\n[storage]\nkv = \"" + quota + "\"\n"
	}
	st := storage.Open(filepath.Join(t.TempDir(), "storage"))
	t.Cleanup(func() { st.Close() })
	return newKernel(t, Config{Policies: policyHome(t, files), Storage: st})
}

// exitWith is WAT that exits with the negation of a call's result (0 stays 0).
const exitWith = `(call $exit (i32.sub (i32.const 0) `

func TestKVHostCalls(t *testing.T) {
	for _, tc := range []struct {
		name, quota, body string
		want              int
	}{
		{"denied without a grant", "", exitWith + `(call $put (i32.const 64) (i32.const 3) (i32.const 80) (i32.const 5)))))`, 6},
		{"put", "1KiB", exitWith + `(call $put (i32.const 64) (i32.const 3) (i32.const 80) (i32.const 5)))))`, 0},
		{"get missing", "1KiB", exitWith + `(call $get (i32.const 64) (i32.const 3) (i32.const 1024) (i32.const 64)))))`, 5},
		{"empty key", "1KiB", exitWith + `(call $put (i32.const 64) (i32.const 0) (i32.const 80) (i32.const 5)))))`, 1},
		{"key outside memory", "1KiB", exitWith + `(call $put (i32.const 65530) (i32.const 100) (i32.const 80) (i32.const 5)))))`, 2},
		{"value past the end", "1KiB", exitWith + `(call $put (i32.const 64) (i32.const 3) (i32.const 0) (i32.const 0x7fffffff)))))`, 2},
		{"over quota", "8B", exitWith + `(call $put (i32.const 64) (i32.const 3) (i32.const 80) (i32.const 6)))))`, 9},
		{"malformed batch", "1KiB", exitWith + `(call $batch (i32.const 80) (i32.const 5)))))`, 1},
		{"put then get the length", "1KiB", `(drop (call $put (i32.const 64) (i32.const 3) (i32.const 80) (i32.const 5)))
  (call $exit (call $get (i32.const 64) (i32.const 3) (i32.const 1024) (i32.const 0))))`, 5},
		{"get into a small buffer", "1KiB", `(drop (call $put (i32.const 64) (i32.const 3) (i32.const 80) (i32.const 5)))
  ` + exitWith + `(call $get (i32.const 64) (i32.const 3) (i32.const 1024) (i32.const 2)))))`, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := kvKernel(t, tc.quota)
			if got := kvRun(t, k, "kv", kvWAT(`(func (export "_start") `+tc.body)); got != tc.want {
				t.Fatalf("exit %d, want %d", got, tc.want)
			}
		})
	}
}

// A guest reading a key over and over sees a write made meanwhile by someone else on the
// same namespace (as `orbital kv put` through the control socket does): the namespace's read
// cache never serves the value it held before.
func TestKVGetSeesOtherWriters(t *testing.T) {
	k := kvKernel(t, "1KiB")
	m := watModule(t, k, "reread", kvWAT(`(func (export "_start") (local $n i32)
  (drop (call $put (i32.const 64) (i32.const 3) (i32.const 80) (i32.const 5)))
  (loop $l
    (local.set $n (call $get (i32.const 64) (i32.const 3) (i32.const 1024) (i32.const 64)))
    (br_if $l (i32.eq (local.get $n) (i32.const 5))))
  (call $exit (local.get $n)))`))
	p := spawn(t, k, m, SpawnOptions{Name: "kvmod"})
	db, err := k.cfg.Storage.DB("kvmod", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Release()
	buf := make([]byte, 8)
	testenv.Eventually(t, func() bool { n, err := db.Read([]byte("key"), buf); return err == nil && n == 5 }, 10*time.Second, "the guest's put")
	if err := db.Put([]byte("key"), []byte("sixsix"), 1<<10); err != nil {
		t.Fatal(err)
	}
	if in := wait(t, p, 10*time.Second); in.ExitCode != 6 {
		t.Fatalf("exit %d (%s), want 6: the length of the value written meanwhile", in.ExitCode, in.Reason)
	}
}

// BenchmarkKV compares a guest's kv_get and kv_put (through the host ABI, the storage door and
// package storage) with the same bbolt operations done directly in Go. Each guest run does a
// fixed number of calls; the figure is per call.
func BenchmarkKV(b *testing.B) {
	for _, op := range []struct {
		name  string
		calls int
		call  string
	}{
		{"get", 2000, `(drop (call $get (i32.const 64) (i32.const 3) (i32.const 1024) (i32.const 64)))`},
		{"put", 20, `(drop (call $put (i32.const 64) (i32.const 3) (i32.const 80) (i32.const 5)))`},
	} {
		b.Run("op="+op.name+"/base=bbolt", func(b *testing.B) {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			bucket := []byte("kv")
			db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucket); return err })
			db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte("key"), []byte("value")) })
			buf := make([]byte, 64)
			for b.Loop() {
				for range op.calls {
					if op.name == "get" {
						db.View(func(tx *bolt.Tx) error { copy(buf, tx.Bucket(bucket).Get([]byte("key"))); return nil })
					} else {
						db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte("key"), []byte("value")) })
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*op.calls), "ns/call")
		})
		b.Run("op="+op.name+"/orbital", func(b *testing.B) {
			k := kvKernel(b, "1MiB")
			if code := kvRun(b, k, "seed", kvWAT(`(func (export "_start") `+exitWith+`(call $put (i32.const 64) (i32.const 3) (i32.const 80) (i32.const 5)))))`)); code != 0 {
				b.Fatalf("seed: exit %d", code)
			}
			m := watModule(b, k, "loop", kvWAT(fmt.Sprintf(`(func (export "_start") (local $i i32)
  (loop $l %s (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const %d))))
  (call $exit (i32.const 0)))`, op.call, op.calls)))
			for b.Loop() {
				p, err := k.Spawn(m, SpawnOptions{Name: "kvmod"})
				if err != nil {
					b.Fatal(err)
				}
				<-p.Done()
				k.Forget(p.PID())
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*op.calls), "ns/call")
		})
	}
}
