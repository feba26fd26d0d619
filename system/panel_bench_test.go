package system

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/admin"
	"github.com/orbital/orbital/kernel"
)

// waiter is a module that blocks in recv until it is told to quit: a running module that
// costs nothing while the panel is measured.
const waiter = `(module
  (import "orbital" "recv" (func $recv (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $again
      (br_if $again (i32.ne (call $recv (i32.const 0) (i32.const 4096) (i64.const -1)) (i32.const -10))))))`

// BenchmarkAdminPanel200 measures the admin page and its JSON with 200 real modules running
// in a real kernel, beside a bare HTTP handler on the same loopback (the floor any page has).
// Goal: the page answers in < 100 ms.
func BenchmarkAdminPanel200(b *testing.B) {
	in, err := New(Config{Home: b.TempDir(), Title: "bench", Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	if err := in.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	wasm, err := wasmtime.Wat2Wasm(waiter)
	if err != nil {
		b.Fatal(err)
	}
	m, err := in.k.Load("waiter", "waiter.wat", wasm)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		if _, err := in.Spawn(m, kernel.SpawnOptions{Name: fmt.Sprintf("waiter-%d", i)}, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	if n := len(in.ctl.Processes()); n != 201 {
		b.Fatalf("%d rows, want 201", n)
	}
	l, err := admin.NewServer(in.ctl, "bench").Listen("127.0.0.1:0", "")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer raw.Close()
	get := func(b *testing.B, url string) {
		res, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("%s: %d", url, res.StatusCode)
		}
	}
	b.Run("base=raw-http", func(b *testing.B) {
		for b.Loop() {
			get(b, raw.URL)
		}
	})
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			get(b, l.URL)
		}
	})
	b.Run("api-ps", func(b *testing.B) {
		for b.Loop() {
			get(b, l.URL+"api/ps")
		}
	})
}
