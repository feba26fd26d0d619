package kernel

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"weak"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/registry"
)

// moduleCache keeps compiled modules in memory for the life of the kernel and on disk under
// <home>/cache/compiled, so a second start of a module skips compilation.
//
// An entry is two files named after the cache key: <key>.cwasm (wasmtime's serialized module)
// and <key>.sum (the length and CRC-32C of the .cwasm). Deserializing trusts the machine code in
// the file, so the kernel checks the sum first: a truncated or bit-flipped entry is found before
// wasmtime sees it, and is recompiled and rewritten. The sum guards against accidents (a crash,
// a full disk, a bad sector), not against an attacker: whoever can write the home's cache can
// also write its policies. CRC-32C runs in hardware at over 20 GB/s, where sha256 of an 8 MiB
// entry cost 6 ms, half of a cached start. The entry is copied once into a sealed memfd, checked
// there and mapped by wasmtime from it (cache_copy.go): never the file itself, which someone
// truncating it in place would turn into a SIGBUS of the whole kernel (the cache test did
// that). Both files are written atomically (temp file, fsync, rename, fsync of the directory);
// a crash between the two renames leaves an entry that fails the check, which is a miss, never
// a crash.
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
	imgs     map[string]weak.Pointer[memImages] // by module digest: every engine's code shares them

	diskMu sync.Mutex // one trimDisk at a time
}

// liveImages returns the memory images of the module with digest if some compiled code of it
// still holds them.
func (c *moduleCache) liveImages(digest string) *memImages {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.imgs[digest].Value()
}

// newImages builds the memory images data describes (nil: none) for the module with digest
// and shares them with the next load of any engine's code of it while they live.
func (c *moduleCache) newImages(digest string, data []*dataImage) (*memImages, error) {
	img, err := newMemImages(data, true)
	if img == nil || err != nil {
		return nil, err
	}
	wp := weak.Make(img)
	c.mu.Lock()
	if c.imgs == nil {
		c.imgs = map[string]weak.Pointer[memImages]{}
	}
	c.imgs[digest] = wp
	c.mu.Unlock()
	runtime.AddCleanup(img, func(digest string) {
		c.mu.Lock()
		if c.imgs[digest] == wp {
			delete(c.imgs, digest)
		}
		c.mu.Unlock()
	}, digest)
	return img, nil
}

func newModuleCache(home string, limits registry.WasmLimits, maxMem, maxDisk int64) *moduleCache {
	c := &moduleCache{mem: map[string]*list.Element{}, lru: newLRU(), limits: limits, maxMem: maxMem, maxDisk: maxDisk}
	if home != "" {
		c.dir = filepath.Join(home, "cache", "compiled")
	}
	return c
}

// cacheKey hashes the module digest with the wasmtime version and the main engine's settings.
func cacheKey(digest string) string { return cacheKeyFor(digest, engineSettings) }

// cacheKeyFor is cacheKey for the engine described by settings (engineSettings or
// fuelEngineSettings): each engine's code is its own entry.
func cacheKeyFor(digest, settings string) string {
	h := sha256.Sum256([]byte(digest + "\n" + cacheKeyInputFor(settings)))
	return hex.EncodeToString(h[:])
}

// load returns the compiled module for wasm on engine (whose configuration settings
// describes), from memory, from disk or by compiling it, with the images of its memories
// (memimage.go; nil for a module whose data was not split). cached reports that compilation
// was skipped. A freshly compiled module is stored only if check accepts it, so a module the
// kernel refuses leaves nothing in the home.
func (c *moduleCache) load(engine *wasmtime.Engine, settings, digest string, wasm []byte, check func(*wasmtime.Module) error) (mod *wasmtime.Module, img *memImages, cached bool, err error) {
	key := cacheKeyFor(digest, settings)
	if e := c.lookup(key); e != nil {
		return e.mod, e.img, true, nil
	}
	var split []byte
	var data []*dataImage
	if img = c.liveImages(digest); img == nil {
		split, data = splitData(wasm)
	}
	if c.dir != "" {
		// The images are written while the entry is copied.
		built := make(chan error, 1)
		go func() {
			var err error
			if img == nil {
				img, err = c.newImages(digest, data)
			}
			built <- err
		}()
		mod, size := c.readDisk(engine, key)
		if err := <-built; err != nil {
			return nil, nil, false, err
		}
		if mod != nil {
			c.touch(key)
			c.remember(key, mod, img, size)
			return mod, img, true, nil
		}
	}
	if split == nil {
		split, _ = splitData(wasm) // the images were alive: only the module's own bytes are needed
	}
	// Before the compiler: its memory and time grow with these counts. Bytes the scan cannot
	// walk go on to wasmtime, whose message about them is the better one.
	if err := registry.CheckWasmLimits(wasm, c.limits); errors.Is(err, registry.ErrWasmLimit) {
		return nil, nil, false, err
	}
	mod, err = wasmtime.NewModule(engine, split)
	if err != nil {
		return nil, nil, false, &compileError{err}
	}
	if err := check(mod); err != nil {
		return nil, nil, false, err
	}
	if img == nil {
		if img, err = c.newImages(digest, data); err != nil {
			return nil, nil, false, err
		}
	}
	size := int64(len(wasm)) * compiledPerWasmByte
	if c.dir != "" {
		if ser, err := mod.Serialize(); err == nil {
			size = int64(len(ser))
			if c.writeDisk(key, ser) == nil { // best effort: a failed write only costs a recompile later
				c.trimDisk(key)
			}
		}
	}
	c.remember(key, mod, img, size)
	return mod, img, false, nil
}

// compileError marks a failure of wasmtime's compiler (as opposed to a refused module).
type compileError struct{ err error }

func (e *compileError) Error() string { return e.err.Error() }
func (e *compileError) Unwrap() error { return e.err }

// readDisk returns the module stored under key, and its size, if its checksum holds and
// wasmtime accepts it; any other entry is removed and nil returned. The entry is checked and
// deserialized from a sealed private copy (cache_copy.go), or, where that cannot be made,
// from a copy in memory.
func (c *moduleCache) readDisk(engine *wasmtime.Engine, key string) (*wasmtime.Module, int64) {
	want, err := os.ReadFile(filepath.Join(c.dir, key+".sum"))
	if err != nil {
		return nil, 0
	}
	crc, size, ok := parseSum(want)
	f, err := os.Open(filepath.Join(c.dir, key+".cwasm"))
	if err != nil || !ok {
		if f != nil {
			f.Close()
		}
		c.drop(key)
		return nil, 0
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() != size {
		c.drop(key)
		return nil, 0
	}
	mod, err := deserializePrivate(engine, f, size, crc)
	if err != nil && !errors.Is(err, errBadEntry) {
		mod, err = deserializeRead(engine, f, size, crc)
	}
	if err != nil {
		c.drop(key)
		return nil, 0
	}
	return mod, size
}

// deserializeRead is deserializePrivate's fallback: the entry read into memory, checked there
// and deserialized from the bytes (a copy, so truncating the file cannot reach it either).
func deserializeRead(engine *wasmtime.Engine, f *os.File, size int64, want uint32) (*wasmtime.Module, error) {
	ser := make([]byte, size)
	if _, err := f.ReadAt(ser, 0); err != nil || crc32.Checksum(ser, castagnoli) != want {
		return nil, errBadEntry
	}
	return wasmtime.NewModuleDeserialize(engine, ser)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// cacheSum is what <key>.sum holds for the serialized module ser.
func cacheSum(ser []byte) string {
	return fmt.Sprintf("crc32c:%08x:%d", crc32.Checksum(ser, castagnoli), len(ser))
}

func (c *moduleCache) drop(key string) {
	os.Remove(filepath.Join(c.dir, key+".cwasm"))
	os.Remove(filepath.Join(c.dir, key+".sum"))
}

func (c *moduleCache) writeDisk(key string, ser []byte) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(c.dir, key+".cwasm"), ser); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(c.dir, key+".sum"), []byte(cacheSum(ser)+"\n"))
}

// writeAtomic writes data to path so that path holds either its old content or all of data.
func writeAtomic(path string, data []byte) (err error) {
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
	if _, err = f.Write(data); err != nil {
		return err
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
