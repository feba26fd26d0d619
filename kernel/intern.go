package kernel

import (
	"runtime"
	"sync"
	"weak"
)

// wasmIntern shares the bytes of modules loaded more than once. A Module keeps its WASM bytes
// (to compile the fuel variant from); `orbital run ponger ponger ...` or a hundred spawns of
// one service load the same file again and again, and each Module holding its own copy cost
// the instance megabytes per process. Modules with the same digest share the first copy
// still alive; the table holds it weakly, so the bytes go when the last Module does.
type wasmIntern struct {
	mu sync.Mutex
	m  map[string]weak.Pointer[wasmBytes]
}

// wasmBytes is a module's bytes, shared by the Modules of one digest.
type wasmBytes struct{ b []byte }

// intern returns the shared bytes of digest, making wasm them if none are alive.
func (t *wasmIntern) intern(digest string, wasm []byte) *wasmBytes {
	t.mu.Lock()
	defer t.mu.Unlock()
	if wb := t.m[digest].Value(); wb != nil {
		return wb
	}
	if t.m == nil {
		t.m = map[string]weak.Pointer[wasmBytes]{}
	}
	wb := &wasmBytes{wasm}
	wp := weak.Make(wb)
	t.m[digest] = wp
	runtime.AddCleanup(wb, func(digest string) {
		t.mu.Lock()
		if t.m[digest] == wp {
			delete(t.m, digest)
		}
		t.mu.Unlock()
	}, digest)
	return wb
}
