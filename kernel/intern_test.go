package kernel

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

// TestLoadSharesBytes: two loads of the same module (two copies of its bytes) keep one copy
// between them, and the table lets it go with the last Module.
func TestLoadSharesBytes(t *testing.T) {
	k := newKernel(t, Config{})
	wasm, err := wasmtime.Wat2Wasm(wat(`(func (export "_start"))`))
	if err != nil {
		t.Fatal(err)
	}
	m1, err := k.Load("a", "a.wasm", append([]byte(nil), wasm...))
	if err != nil {
		t.Fatal(err)
	}
	m2, err := k.Load("b", "b.wasm", append([]byte(nil), wasm...))
	if err != nil {
		t.Fatal(err)
	}
	if m1.wasm != m2.wasm || m1.Digest != m2.Digest {
		t.Fatal("two loads of one module keep two copies of its bytes")
	}
	m1, m2 = nil, nil
	testenv.Eventually(t, func() bool {
		runtime.GC()
		k.wasms.mu.Lock()
		defer k.wasms.mu.Unlock()
		return len(k.wasms.m) == 0
	}, 10*time.Second, "the interned bytes outlive their Modules")
}

// TestInternFingerprintConfirmed: a fingerprint match alone never gives bytes another's digest
// (the table here is forged so that two modules share a fingerprint).
func TestInternFingerprintConfirmed(t *testing.T) {
	a, _ := wasmtime.Wat2Wasm(wat(`(func (export "_start"))`))
	b, _ := wasmtime.Wat2Wasm(wat(`(func (export "_start") nop)`))
	var tbl wasmIntern
	wa := tbl.intern(a)
	tbl.byFP[fingerprint(b)] = tbl.byFP[fingerprint(a)]
	wb := tbl.intern(b)
	if sum := sha256.Sum256(b); wb == wa || wb.digest != hex.EncodeToString(sum[:]) {
		t.Fatalf("bytes b got digest %s (a's is %s)", wb.digest, wa.digest)
	}
	runtime.KeepAlive(wa)
}
