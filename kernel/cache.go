package kernel

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
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
// entry cost 6 ms, half of a cached start. The entry is read into memory once (the sum needs
// the bytes anyway) and deserialized from there with NewModuleDeserialize, not mapped with
// NewModuleDeserializeFile: a mapped file that someone truncates in place kills the whole
// kernel with SIGBUS the next time the code pages are touched (the cache test hit exactly
// that), while a copy cannot be pulled away. Both files are written atomically (temp file, fsync, rename,
// fsync of the directory); a crash between the two renames leaves an entry that fails the
// check, which is a miss, never a crash.
type moduleCache struct {
	dir string // empty: memory only

	mu  sync.Mutex
	mem map[string]*wasmtime.Module // by cache key
}

func newModuleCache(home string) *moduleCache {
	c := &moduleCache{mem: map[string]*wasmtime.Module{}}
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
// describes), from memory, from disk or by compiling it. cached reports that compilation was
// skipped. A freshly compiled module is stored only if check accepts it, so a module the
// kernel refuses leaves nothing in the home.
func (c *moduleCache) load(engine *wasmtime.Engine, settings, digest string, wasm []byte, check func(*wasmtime.Module) error) (mod *wasmtime.Module, cached bool, err error) {
	key := cacheKeyFor(digest, settings)
	c.mu.Lock()
	mod = c.mem[key]
	c.mu.Unlock()
	if mod != nil {
		return mod, true, nil
	}
	if c.dir != "" {
		if mod = c.readDisk(engine, key); mod != nil {
			c.remember(key, mod)
			return mod, true, nil
		}
	}
	mod, err = wasmtime.NewModule(engine, wasm)
	if err != nil {
		return nil, false, &compileError{err}
	}
	if err := check(mod); err != nil {
		return nil, false, err
	}
	if c.dir != "" {
		if ser, err := mod.Serialize(); err == nil {
			c.writeDisk(key, ser) // best effort: a failed write only costs a recompile later
		}
	}
	c.remember(key, mod)
	return mod, false, nil
}

// compileError marks a failure of wasmtime's compiler (as opposed to a refused module).
type compileError struct{ err error }

func (e *compileError) Error() string { return e.err.Error() }
func (e *compileError) Unwrap() error { return e.err }

func (c *moduleCache) remember(key string, mod *wasmtime.Module) {
	c.mu.Lock()
	c.mem[key] = mod
	c.mu.Unlock()
}

// readDisk returns the module stored under key if its checksum holds and wasmtime accepts
// it; any other entry is removed and nil returned.
func (c *moduleCache) readDisk(engine *wasmtime.Engine, key string) *wasmtime.Module {
	want, err := os.ReadFile(filepath.Join(c.dir, key+".sum"))
	if err != nil {
		return nil
	}
	ser, err := os.ReadFile(filepath.Join(c.dir, key+".cwasm"))
	if err != nil {
		c.drop(key)
		return nil
	}
	if !bytes.Equal(bytes.TrimSpace(want), []byte(cacheSum(ser))) {
		c.drop(key)
		return nil
	}
	mod, err := wasmtime.NewModuleDeserialize(engine, ser)
	if err != nil {
		c.drop(key)
		return nil
	}
	return mod
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
