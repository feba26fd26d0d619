package kernel

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"runtime"
	"sync"
	"weak"
)

// wasmIntern shares the bytes of modules loaded more than once. A Module keeps its WASM bytes
// (to compile the fuel variant from); `orbital run ponger ponger ...` or a hundred spawns of
// one service load the same file again and again, and each Module holding its own copy cost
// the instance megabytes per process. Modules with the same digest share the first copy
// still alive; the table holds it weakly, so the bytes go when the last Module does.
//
// The table also spares a repeated load its sha256 (2 ms for a 2.8 MB Go module): bytes equal
// to a live entry's (found by length and CRC-32C, confirmed byte for byte) have its digest.
type wasmIntern struct {
	mu   sync.Mutex
	m    map[string]weak.Pointer[wasmBytes] // by digest
	byFP map[uint64]weak.Pointer[wasmBytes] // by fingerprint (length, CRC-32C)
}

// wasmBytes is a module's bytes and digest, shared by the Modules of one digest.
type wasmBytes struct {
	b      []byte
	digest string
}

func fingerprint(wasm []byte) uint64 {
	return uint64(len(wasm))<<32 | uint64(crc32.Checksum(wasm, castagnoli))
}

// intern returns the shared bytes of wasm (with its hex sha256 digest), making wasm them if no
// Module holds the same bytes.
func (t *wasmIntern) intern(wasm []byte) *wasmBytes {
	fp := fingerprint(wasm)
	t.mu.Lock()
	wb := t.byFP[fp].Value()
	t.mu.Unlock()
	if wb != nil && bytes.Equal(wb.b, wasm) {
		return wb
	}
	sum := sha256.Sum256(wasm)
	digest := hex.EncodeToString(sum[:])
	t.mu.Lock()
	defer t.mu.Unlock()
	if wb := t.m[digest].Value(); wb != nil {
		return wb
	}
	if t.m == nil {
		t.m, t.byFP = map[string]weak.Pointer[wasmBytes]{}, map[uint64]weak.Pointer[wasmBytes]{}
	}
	wb = &wasmBytes{wasm, digest}
	wp := weak.Make(wb)
	t.m[digest], t.byFP[fp] = wp, wp
	runtime.AddCleanup(wb, func(digest string) {
		t.mu.Lock()
		if t.m[digest] == wp {
			delete(t.m, digest)
		}
		if t.byFP[fp] == wp {
			delete(t.byFP, fp)
		}
		t.mu.Unlock()
	}, digest)
	return wb
}
