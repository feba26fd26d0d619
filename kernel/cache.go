package kernel

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/registry"
)

// moduleCache keeps compiled modules in memory for the life of the kernel and on disk under
// <home>/cache/compiled, so a second start of a module skips compilation.
//
// An entry is two files named after the cache key: <key>.cwasm (wasmtime's serialized module
// without what only describes the code, cache_lean.go, followed by the images of the module's
// memories, memimage.go) and <key>.sum (cache_entry.go:
// the sha256 of the WASM module it was compiled from, its layout and a CRC-32C of each MiB).
// The key is made from the module's fingerprint (its length and two CRC-32s, cheap), so the
// entry can be read while the module's sha256 is still being computed, or never computed
// again when the caller already verified it (LoadDigest); the entry is used only if the sum's
// sha256 is the module's. Deserializing trusts the machine code in the file, so the kernel
// checks the CRCs first: a truncated or bit-flipped entry is found before wasmtime sees it,
// and is recompiled and rewritten. The CRCs guard against accidents (a crash, a full disk, a
// bad sector), not against an attacker: whoever can write the home's cache can also write its
// policies. The entry is copied once into sealed memfds, checked there and mapped by wasmtime
// and the memory creator from them (cache_copy.go): never the file itself, which someone
// truncating it in place would turn into a SIGBUS of the whole kernel (the cache test does
// that). Both files are written atomically (temp file, fsync, rename, fsync of the
// directory); a crash between the two renames leaves an entry that fails the check, which is
// a miss, never a crash.
//
// Both levels are bounded (cachebound.go): memory by maxMem bytes, disk by maxDisk bytes, each
// evicting the least recently used entries. A module is compiled only within the compile
// limits (registry.CheckWasmLimits), checked on a miss before wasmtime sees it.
type moduleCache struct {
	dir     string // empty: memory only
	limits  registry.WasmLimits
	maxMem  int64
	maxDisk int64

	mu       sync.Mutex
	mem      map[string]*list.Element // by cache key; values are *memEntry in lru
	lru      *list.List               // most recently used first
	memBytes int64

	diskMu sync.Mutex // one trimDisk at a time
}

func newModuleCache(home string, limits registry.WasmLimits, maxMem, maxDisk int64) *moduleCache {
	c := &moduleCache{mem: map[string]*list.Element{}, lru: newLRU(), limits: limits, maxMem: maxMem, maxDisk: maxDisk}
	if home != "" {
		c.dir = filepath.Join(home, "cache", "compiled")
	}
	return c
}

// wasmSource is a module's bytes as the compile cache takes them: the fingerprint that names
// its entries, and its sha256 digest (hex), which an entry must match. digest blocks until
// the digest is known: it may be computed on another goroutine while an entry is read.
type wasmSource struct {
	wasm   []byte
	fp     wasmFP
	digest func() string
}

// newSource is wasm with its fingerprint fp and digest; an empty digest is computed on a
// goroutine of its own, started here.
func newSource(wasm []byte, fp wasmFP, digest string) wasmSource {
	if digest != "" {
		return wasmSource{wasm, fp, func() string { return digest }}
	}
	sum := make(chan string, 1)
	go func() {
		s := sha256.Sum256(wasm)
		sum <- hex.EncodeToString(s[:])
	}()
	return wasmSource{wasm, fp, sync.OnceValue(func() string { return <-sum })}
}

// sourceOf is newSource for bytes whose digest the caller computes now (glue, libraries).
func sourceOf(wasm []byte) wasmSource {
	s := sha256.Sum256(wasm)
	return newSource(wasm, fingerprintOf(wasm), hex.EncodeToString(s[:]))
}

// cacheKeyFor hashes a module's fingerprint with the wasmtime version and the settings of the
// engine it is compiled for (engineSettings or fuelEngineSettings): each engine's code is its
// own entry.
func cacheKeyFor(fp wasmFP, settings string) string {
	h := sha256.Sum256([]byte(fp.String() + "\n" + cacheKeyInputFor(settings)))
	return hex.EncodeToString(h[:])
}

// load returns the compiled module for src on engine (whose configuration settings
// describes), from memory, from disk or by compiling it, with the images of its memories
// (memimage.go; nil for a module whose data was not split). cached reports that compilation
// was skipped. A freshly compiled module is stored only if check accepts it, so a module the
// kernel refuses leaves nothing in the home.
func (c *moduleCache) load(engine *wasmtime.Engine, settings string, src wasmSource, check func(*wasmtime.Module) error) (mod *wasmtime.Module, img *memImages, cached bool, err error) {
	key := cacheKeyFor(src.fp, settings)
	if e := c.lookup(key); e != nil && e.digest == src.digest() {
		return e.mod, e.img, true, nil
	}
	if c.dir != "" {
		if mod, img, size := c.readDisk(engine, key, src.digest); mod != nil {
			c.touch(key)
			c.remember(key, src.digest(), mod, img, size)
			return mod, img, true, nil
		}
	}
	// Before the compiler: its memory and time grow with these counts. Bytes the scan cannot
	// walk go on to wasmtime, whose message about them is the better one.
	if err := registry.CheckWasmLimits(src.wasm, c.limits); errors.Is(err, registry.ErrWasmLimit) {
		return nil, nil, false, err
	}
	split, data := splitData(src.wasm)
	mod, err = wasmtime.NewModule(engine, split)
	if err != nil {
		return nil, nil, false, &compileError{err}
	}
	if err := check(mod); err != nil {
		return nil, nil, false, err
	}
	img, imgBytes, err := newMemImages(data)
	if err != nil {
		return nil, nil, false, err
	}
	size := int64(len(src.wasm)) * compiledPerWasmByte
	if c.dir != "" {
		if ser, err := mod.Serialize(); err == nil {
			size = int64(len(ser)) // what this kernel holds; the disk gets less (cache_lean.go)
			ser = leanArtifact(ser)
			sizes, _ := imageLayout(data)
			if c.writeDisk(key, src.digest(), ser, sizes, imgBytes) == nil { // best effort: a failed write only costs a recompile later
				c.trimDisk(key)
			}
		}
	}
	c.remember(key, src.digest(), mod, img, size)
	return mod, img, false, nil
}

// compileError marks a failure of wasmtime's compiler (as opposed to a refused module).
type compileError struct{ err error }

func (e *compileError) Error() string { return e.err.Error() }
func (e *compileError) Unwrap() error { return e.err }

func (c *moduleCache) drop(key string) {
	os.Remove(filepath.Join(c.dir, key+".cwasm"))
	os.Remove(filepath.Join(c.dir, key+".sum"))
}

// writeDisk stores the serialized module ser of the module with digest, followed by its
// memories' images (sizes: each one's, imgs: their bytes one after another).
func (c *moduleCache) writeDisk(key, digest string, ser []byte, sizes []int64, imgs []byte) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	parts := entryParts(ser, imgs)
	if err := writeAtomic(filepath.Join(c.dir, key+".cwasm"), parts...); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(c.dir, key+".sum"), newEntrySum(digest, ser, sizes, parts).encode())
}

// writeAtomic writes the concatenation of parts to path so that path holds either its old
// content or all of it.
func writeAtomic(path string, parts ...[]byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	for _, p := range parts {
		if _, err = f.Write(p); err != nil {
			return err
		}
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, derr := os.Open(dir)
	if derr != nil {
		return nil
	}
	defer d.Close()
	if serr := d.Sync(); serr != nil && !errors.Is(serr, os.ErrInvalid) {
		return serr
	}
	return nil
}
