package kernel

import (
	"container/list"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// The compile cache's bounds (docs/design/limits.md). Each engine's code of a module (the
// main engine's and the fuel engine's) is one entry, so both count against the same bounds.
const (
	// DefaultCacheMemory bounds the compiled modules the kernel keeps in memory; past it the
	// least recently used entry is dropped (a process still running it keeps its own
	// reference, so only the cache forgets it).
	DefaultCacheMemory = 256 << 20
	// DefaultCacheDisk bounds <home>/cache/compiled; past it the entries used least recently
	// (by modification time, which a hit refreshes) are removed.
	DefaultCacheDisk = 1 << 30
	// compiledPerWasmByte estimates an entry's size when it was never serialized (a cache
	// without a home): Go wasip1 modules serialize to 2-3 times their size.
	compiledPerWasmByte = 3
)

// memEntry is one compiled module kept in memory.
type memEntry struct {
	key    string
	digest string // of the module it was compiled from (keys are made from fingerprints)
	mod    *wasmtime.Module
	img    *memImages // its memories' images (memimage.go), nil if none
	size   int64
}

// lookup returns the entry stored in memory under key and marks it used.
func (c *moduleCache) lookup(key string) *memEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.mem[key]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*memEntry)
}

// remember keeps mod and its images in memory under key (size: its serialized length, or an
// estimate; the images count too) and drops the least recently used entries past the memory
// bound.
func (c *moduleCache) remember(key, digest string, mod *wasmtime.Module, img *memImages, size int64) {
	if img != nil {
		size += img.size
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.mem[key]; ok {
		c.lru.MoveToFront(el)
		if e := el.Value.(*memEntry); e.digest != digest { // another module of the same fingerprint
			c.memBytes += size - e.size
			*e = memEntry{key: key, digest: digest, mod: mod, img: img, size: size}
		}
		return
	}
	c.mem[key] = c.lru.PushFront(&memEntry{key: key, digest: digest, mod: mod, img: img, size: size})
	c.memBytes += size
	for c.memBytes > c.maxMem && c.lru.Len() > 1 {
		old := c.lru.Remove(c.lru.Back()).(*memEntry)
		delete(c.mem, old.key)
		c.memBytes -= old.size
	}
}

// touch marks a disk entry used (its modification time orders eviction).
func (c *moduleCache) touch(key string) {
	now := time.Now()
	os.Chtimes(filepath.Join(c.dir, key+".cwasm"), now, now)
}

// trimDisk removes the least recently used entries until the directory holds at most
// c.maxDisk bytes, sparing keep (the entry just written). Entries of other kernels sharing the
// home count too; a concurrent reader of a removed entry sees a miss, never a crash.
func (c *moduleCache) trimDisk(keep string) {
	c.diskMu.Lock()
	defer c.diskMu.Unlock()
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type entry struct {
		key  string
		size int64
		used time.Time
	}
	var all []entry
	var total int64
	for _, e := range ents {
		key, ok := strings.CutSuffix(e.Name(), ".cwasm")
		if !ok || strings.HasPrefix(key, ".tmp-") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		all = append(all, entry{key, fi.Size(), fi.ModTime()})
		total += fi.Size()
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used.Before(all[j].used) })
	for _, e := range all {
		if total <= c.maxDisk {
			return
		}
		if e.key == keep {
			continue
		}
		c.drop(e.key)
		total -= e.size
	}
}

func newLRU() *list.List { return list.New() }

// cacheBounds returns the cache's memory and disk bounds from cfg (zero: the defaults).
func cacheBounds(cfg Config) (mem, disk int64) {
	mem, disk = cfg.CacheMemory, cfg.CacheDisk
	if mem <= 0 {
		mem = DefaultCacheMemory
	}
	if disk <= 0 {
		disk = DefaultCacheDisk
	}
	return mem, disk
}
