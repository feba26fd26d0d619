package kernel

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"
)

// A cache entry is deserialized from a private, sealed copy that wasmtime maps, rather than
// read into the Go heap and copied again by wasmtime (NewModuleDeserialize of a 9 MB entry:
// 5-15 ms here). wasmtime's deserialize-from-file maps the file and runs its code from the
// mapping; mapping the entry itself would let anyone who truncates it in place kill the kernel
// with SIGBUS, and let a write after the checksum reach the code. So the entry is copied once,
// a MiB at a time (each chunk read, checked against its CRC-32C while it is in the cache, and
// written on), into two memfds: wasmtime's code and the
// memories' images. Both are sealed against writes, shrinking and growing before they are
// mapped (wasmtime maps the code through /proc/self/fd; the memory creator maps the images):
// the bytes that run are the bytes that were checked, and nothing outside the kernel can
// change or truncate them.

// readDisk returns the module stored under key, its memories' images and its size, if its
// sums hold, it was compiled from the module whose sha256 digest returns, and wasmtime
// accepts it. A damaged entry is removed; another module's (a fingerprint they share) is left
// to be replaced when this one is compiled.
func (c *moduleCache) readDisk(engine *wasmtime.Engine, key string, digest func() string) (*wasmtime.Module, *memImages, int64) {
	raw, err := os.ReadFile(filepath.Join(c.dir, key+".sum"))
	if err != nil {
		return nil, nil, 0
	}
	sum, err := parseEntrySum(raw)
	f, ferr := os.Open(filepath.Join(c.dir, key+".cwasm"))
	if err != nil || ferr != nil {
		if f != nil {
			f.Close()
		}
		c.drop(key)
		return nil, nil, 0
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() != sum.size() {
		c.drop(key)
		return nil, nil, 0
	}
	mod, img, err := deserializePrivate(engine, f, sum, digest)
	if err != nil && !errors.Is(err, errBadEntry) && !errors.Is(err, errOtherModule) {
		mod, img, err = deserializeRead(engine, f, sum, digest)
	}
	if errors.Is(err, errBadEntry) {
		c.drop(key)
	}
	if err != nil {
		return nil, nil, 0
	}
	return mod, img, sum.size()
}

var (
	// errBadEntry is a cache entry that does not match its sum (or wasmtime refuses): a miss.
	errBadEntry = errors.New("kernel: compile cache entry does not match its sum")
	// errOtherModule is an entry compiled from another module than the one asked for.
	errOtherModule = errors.New("kernel: compile cache entry of another module")
)

// deserializePrivate deserializes the entry f described by sum from sealed private copies.
// errBadEntry and errOtherModule are about the entry; other errors are the copy's (no memfd,
// no /proc), for which the caller falls back to reading into memory.
func deserializePrivate(engine *wasmtime.Engine, f *os.File, sum *entrySum, digest func() string) (*wasmtime.Module, *memImages, error) {
	code, err := newMemfd("orbital-cwasm", sum.Code)
	if err != nil {
		return nil, nil, err
	}
	defer unix.Close(code)
	imgs := -1
	if n := sum.imageBytes(); n > 0 {
		if imgs, err = newMemfd("orbital-image", n); err != nil {
			return nil, nil, err
		}
	}
	fds := []int{code, imgs}
	err = copyEntry(f, sum, fds)
	for _, fd := range fds {
		if err == nil && fd >= 0 {
			err = sealImages(fd) // the same seals for the code
		}
	}
	if err == nil && sum.Digest != digest() {
		err = errOtherModule
	}
	if err != nil {
		if imgs >= 0 {
			unix.Close(imgs)
		}
		return nil, nil, err
	}
	mod, err := wasmtime.NewModuleDeserializeFile(engine, "/proc/self/fd/"+strconv.Itoa(code))
	if err != nil {
		if imgs >= 0 {
			unix.Close(imgs)
		}
		if _, serr := os.Stat("/proc/self/fd"); serr != nil {
			return nil, nil, fmt.Errorf("no /proc/self/fd: %w", serr)
		}
		return nil, nil, errBadEntry // wasmtime refused the checked bytes: built for another engine
	}
	if imgs < 0 {
		return mod, nil, nil
	}
	img, err := memImagesFromFD(imgs, sum.Images)
	return mod, img, err
}

// newMemfd makes an empty memfd of size bytes, sealable.
func newMemfd(name string, size int64) (int, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, fmt.Errorf("memfd_create: %w", err)
	}
	if err := unix.Ftruncate(fd, size); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("ftruncate: %w", err)
	}
	return fd, nil
}

var chunkBufs = sync.Pool{New: func() any { return new([sumChunk]byte) }}

// copyEntry copies the .cwasm f described by sum into fds[0] (the code) and fds[1] (the
// images; -1 if none), a chunk at a time, each chunk checked against its CRC-32C while it is
// in the cache. One goroutine: writes into one memfd take its inode's lock one at a time, so
// more workers (four did until 2026-12-03) spun on it, cost 0.3-0.6 ms more CPU per start of
// hello and gained no wall time, nor did a second goroutine for the images' memfd
// (docs/design/performance.md). errBadEntry: a chunk does not match, or the file is shorter.
func copyEntry(f *os.File, sum *entrySum, fds []int) error {
	buf := chunkBufs.Get().(*[sumChunk]byte)
	defer chunkBufs.Put(buf)
	for i := range int64(len(sum.CRC)) {
		if err := copyChunk(f, sum, fds, i, buf[:]); err != nil {
			return err
		}
	}
	return nil
}

// copyChunk copies chunk i: read, check, write its code part and its images part.
func copyChunk(f *os.File, sum *entrySum, fds []int, i int64, buf []byte) error {
	off := i * sumChunk
	b := buf[:min(sumChunk, sum.size()-off)]
	if _, err := f.ReadAt(b, off); err != nil {
		return errBadEntry // the file shrank under the copy, or cannot be read
	}
	if crc32.Checksum(b, castagnoli) != sum.CRC[i] {
		return errBadEntry
	}
	end := off + int64(len(b))
	if off < sum.Code {
		if err := pwriteAll(fds[0], b[:min(end, sum.Code)-off], off); err != nil {
			return err
		}
	}
	if at := imagesAt(sum.Code); fds[1] >= 0 && end > at {
		from := max(off, at)
		if err := pwriteAll(fds[1], b[from-off:], from-at); err != nil {
			return err
		}
	}
	return nil
}

func pwriteAll(fd int, b []byte, off int64) error {
	for len(b) > 0 {
		n, err := unix.Pwrite(fd, b, off)
		if err != nil {
			return fmt.Errorf("pwrite: %w", err)
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

// deserializeRead is deserializePrivate's fallback: the entry read into memory, checked there
// and deserialized from the bytes, its images copied into C memory (copies, so truncating the
// file cannot reach them either).
func deserializeRead(engine *wasmtime.Engine, f *os.File, sum *entrySum, digest func() string) (*wasmtime.Module, *memImages, error) {
	b := make([]byte, sum.size())
	if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, errBadEntry
	}
	for i, want := range sum.CRC {
		if crc32.Checksum(b[int64(i)*sumChunk:min(int64(i+1)*sumChunk, sum.size())], castagnoli) != want {
			return nil, nil, errBadEntry
		}
	}
	if sum.Digest != digest() {
		return nil, nil, errOtherModule
	}
	mod, err := wasmtime.NewModuleDeserialize(engine, b[:sum.Code])
	if err != nil {
		return nil, nil, errBadEntry
	}
	if sum.imageBytes() == 0 {
		return mod, nil, nil
	}
	img, err := memImagesCopy(b[imagesAt(sum.Code):], sum.Images)
	return mod, img, err
}
