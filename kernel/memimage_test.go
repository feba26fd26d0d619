package kernel

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/internal/testenv"
)

// imageCases are modules whose memories must start the same whether wasmtime copies their
// data segments or the kernel maps them from images; split says whether splitData takes
// their data out.
var imageCases = []struct {
	name  string
	wat   string
	split bool
}{
	{"one memory", `(module (memory (export "memory") 2)
  (data (i32.const 16) "hello") (data (i32.const 70000) "far"))`, true},
	{"overlapping: the later segment wins", `(module (memory (export "memory") 2)
  (data (i32.const 8) "aaaaaaaa") (data (i32.const 10) "bb") (data (i32.const 65530) "crosses a page"))`, true},
	{"a segment at the very end, and an empty one", `(module (memory (export "memory") 1)
  (data (i32.const 65535) "z") (data (i32.const 0) ""))`, true},
	{"a negative offset is past the end: not split (instantiation traps)", `(module (memory (export "memory") 1)
  (data (i32.const 0) "fits") (data (i32.const -1) ""))`, false},
	{"two memories", `(module (memory (export "memory") 1) (memory $b (export "b") 1)
  (data (i32.const 1) "zero") (data $b (i32.const 2) "one"))`, true},
	{"passive segments stay, with a data count", `(module (memory (export "memory") 1)
  (data (i32.const 4) "active") (data $p "passive")
  (func (export "init") (memory.init $p (i32.const 100) (i32.const 0) (i32.const 7)))
  (func (export "init_dropped") (memory.init 0 (i32.const 100) (i32.const 0) (i32.const 1)))
  (func (export "init_dropped_empty") (memory.init 0 (i32.const 100) (i32.const 0) (i32.const 0)))
  (func (export "drop") (data.drop 0)))`, true},
	{"imported memory's segments are wasmtime's", `(module
  (import "env" "mem" (memory 1))
  (memory (export "memory") 1)
  (data 0 (i32.const 3) "theirs") (data 1 (i32.const 5) "ours"))`, true},
	{"offset from a global: not split", `(module (import "env" "off" (global i32)) (memory (export "memory") 1)
  (data (global.get 0) "moved") (data (i32.const 0) "first"))`, false},
	{"a segment past the memory: not split (instantiation traps)", `(module (memory (export "memory") 1)
  (data (i32.const 0) "fits") (data (i32.const 65534) "does not fit"))`, false},
	{"no data", `(module (memory (export "memory") 1))`, false},
}

// TestMemoryImages instantiates each case twice, as wasmtime alone does (copying its data
// segments, its own memories) and as the kernel does (split, images mapped by the memory
// creator), and compares every memory byte for byte, then the behaviour of memory.init and
// data.drop on the segments that moved out.
func TestMemoryImages(t *testing.T) {
	for _, c := range imageCases {
		t.Run(c.name, func(t *testing.T) {
			wasm, err := wasmtime.Wat2Wasm(c.wat)
			if err != nil {
				t.Fatal(err)
			}
			split, data := splitData(wasm)
			if got := data != nil; got != c.split {
				t.Fatalf("split = %v, want %v", got, c.split)
			}
			if !c.split && !bytes.Equal(split, wasm) {
				t.Fatal("a module that is not split came back changed")
			}
			want, wantErr := instantiateRaw(t, wasm)
			for _, memfd := range []bool{true, false} {
				got, err := instantiateSplit(t, split, data, memfd)
				if (err != nil) != (wantErr != nil) {
					t.Fatalf("memfd %v: instantiation error %v, wasmtime alone: %v", memfd, err, wantErr)
				}
				for name, w := range want {
					if !bytes.Equal(got[name], w) {
						t.Errorf("memfd %v: memory %q differs from wasmtime's own initialisation", memfd, name)
					}
				}
			}
		})
	}
}

// memoryWith is the environment the cases import: a memory and a global offset.
func memoryWith(t *testing.T, store *wasmtime.Store, mod *wasmtime.Module) []wasmtime.AsExtern {
	t.Helper()
	var imports []wasmtime.AsExtern
	for _, im := range mod.Imports() {
		switch *im.Name() {
		case "mem":
			mt, _ := wasmtime.NewMemoryType(1, false, 0, false)
			m, err := wasmtime.NewMemory(store, mt)
			if err != nil {
				t.Fatal(err)
			}
			imports = append(imports, m)
		case "off":
			g, err := wasmtime.NewGlobal(store, wasmtime.NewGlobalType(wasmtime.NewValType(wasmtime.KindI32), false), wasmtime.ValI32(32))
			if err != nil {
				t.Fatal(err)
			}
			imports = append(imports, g)
		}
	}
	return imports
}

// memories returns a copy of every exported memory of inst, and checks memory.init and
// data.drop where the module exports them.
func memories(t *testing.T, store *wasmtime.Store, inst *wasmtime.Instance) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range []string{"memory", "b"} {
		if ex := inst.GetExport(store, name); ex != nil && ex.Memory() != nil {
			out[name] = bytes.Clone(ex.Memory().UnsafeData(store))
		}
	}
	outcome := func(fn string) string {
		f := inst.GetFunc(store, fn)
		if f == nil {
			return ""
		}
		if _, err := f.Call(store); err != nil {
			return "trap"
		}
		return "ok"
	}
	var calls []string
	for _, fn := range []string{"init", "init_dropped", "init_dropped_empty", "drop", "init_dropped"} {
		calls = append(calls, fn+":"+outcome(fn))
	}
	if ex := inst.GetExport(store, "memory"); ex != nil && ex.Memory() != nil {
		out["after calls "+strings.Join(calls, ",")] = bytes.Clone(ex.Memory().UnsafeData(store))
	}
	return out
}

// instantiateRaw is wasmtime alone on the original module.
func instantiateRaw(t *testing.T, wasm []byte) (map[string][]byte, error) {
	t.Helper()
	engine := wasmtime.NewEngineWithConfig(rawEngineConfig())
	mod, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		t.Fatal(err)
	}
	store := wasmtime.NewStore(engine)
	defer store.Close()
	store.SetEpochDeadline(1 << 40)
	inst, err := wasmtime.NewInstance(store, mod, memoryWith(t, store, mod))
	if err != nil {
		return nil, err
	}
	return memories(t, store, inst), nil
}

// instantiateSplit is the kernel's engine on the split module, with images in memfds (memfd)
// or copied from C memory.
func instantiateSplit(t *testing.T, split []byte, data []*dataImage, memfd bool) (map[string][]byte, error) {
	t.Helper()
	threadBudget(t, 64<<20)
	engine := wasmtime.NewEngineWithConfig(engineConfig())
	mod, err := wasmtime.NewModule(engine, split)
	if err != nil {
		t.Fatalf("the split module does not compile: %v", err)
	}
	img, _, err := newMemImages(data)
	if !memfd {
		sizes, _ := imageLayout(data)
		img, err = memImagesCopy(imageBytes(data), sizes)
	}
	if err != nil {
		t.Fatal(err)
	}
	store := wasmtime.NewStore(engine)
	defer store.Close()
	store.SetEpochDeadline(1 << 40)
	imports := memoryWith(t, store, mod)
	inst, err := instantiateImaged(img, func() (*wasmtime.Instance, error) { return wasmtime.NewInstance(store, mod, imports) })
	if err != nil {
		return nil, err
	}
	return memories(t, store, inst), nil
}

// A guest's writes stay its own: two instances of one image, one writing, the other and a
// third made afterwards still see the image.
func TestMemoryImageCopyOnWrite(t *testing.T) {
	wasm, err := wasmtime.Wat2Wasm(`(module (memory (export "memory") 1) (data (i32.const 0) "image")
  (func (export "scribble") (i32.store8 (i32.const 0) (i32.const 88))))`)
	if err != nil {
		t.Fatal(err)
	}
	split, data := splitData(wasm)
	threadBudget(t, 64<<20)
	engine := wasmtime.NewEngineWithConfig(engineConfig())
	mod, err := wasmtime.NewModule(engine, split)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := newMemImages(data)
	if err != nil {
		t.Fatal(err)
	}
	start := func() (*wasmtime.Store, *wasmtime.Instance) {
		store := wasmtime.NewStore(engine)
		t.Cleanup(store.Close)
		store.SetEpochDeadline(1 << 40)
		inst, err := instantiateImaged(img, func() (*wasmtime.Instance, error) { return wasmtime.NewInstance(store, mod, nil) })
		if err != nil {
			t.Fatal(err)
		}
		return store, inst
	}
	first := func(s *wasmtime.Store, i *wasmtime.Instance) string {
		return string(i.GetExport(s, "memory").Memory().UnsafeData(s)[:5])
	}
	s1, i1 := start()
	s2, i2 := start()
	if _, err := i1.GetFunc(s1, "scribble").Call(s1); err != nil {
		t.Fatal(err)
	}
	s3, i3 := start()
	if got := []string{first(s1, i1), first(s2, i2), first(s3, i3)}; got[0] != "Xmage" || got[1] != "image" || got[2] != "image" {
		t.Fatalf("memories start %q, want the writer's own change only", got)
	}
}

// Go modules are split (their data is a third of the module, in about 34,000 segments) and
// run the same.
func TestGoModuleSplit(t *testing.T) {
	wasm, err := os.ReadFile(testenv.Module(t, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	split, data := splitData(wasm)
	if len(data) != 1 || data[0] == nil || len(split) >= len(wasm)-int(data[0].size)/2 {
		t.Fatalf("hello (%d bytes) split to %d bytes and %d images", len(wasm), len(split), len(data))
	}
	t.Logf("hello: %d bytes, %d without its data; image %d bytes from %d segments", len(wasm), len(split), data[0].size, len(data[0].segs))
}

// splitData never fails on bytes it does not understand: they come back unchanged.
func FuzzSplitData(f *testing.F) {
	for _, c := range imageCases {
		if wasm, err := wasmtime.Wat2Wasm(c.wat); err == nil {
			f.Add(wasm)
		}
	}
	engine := wasmtime.NewEngineWithConfig(engineConfig())
	f.Fuzz(func(t *testing.T, wasm []byte) {
		split, data := splitData(wasm)
		if data == nil && !bytes.Equal(split, wasm) {
			t.Fatal("not split, yet changed")
		}
		if data != nil && wasmtime.ModuleValidate(engine, wasm) == nil {
			if err := wasmtime.ModuleValidate(engine, split); err != nil {
				t.Fatalf("a valid module split into an invalid one: %v", err)
			}
		}
		for _, d := range data {
			if d == nil {
				continue
			}
			if d.size%imagePage != 0 {
				t.Fatalf("image size %d is not a multiple of the page", d.size)
			}
			for _, s := range d.segs {
				if s.off < 0 || s.off+int64(len(s.b)) > d.size {
					t.Fatalf("segment at %d+%d outside its image of %d", s.off, len(s.b), d.size)
				}
			}
		}
	})
}
