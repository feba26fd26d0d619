package kernel

import (
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"runtime"
	"strconv"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"
)

// A cache entry is deserialized from a private, sealed copy that wasmtime maps, rather than
// read into the Go heap and copied again by wasmtime (NewModuleDeserialize of a 9 MB entry:
// 5-15 ms here). wasmtime's deserialize-from-file maps the file and runs its code from the
// mapping; mapping the entry itself would let anyone who truncates it in place kill the kernel
// with SIGBUS, and let a write after the checksum reach the code. So the entry is copied once
// into a memfd, in the kernel (sendfile), its CRC-32C is computed over that copy on a second
// goroutine as the copy proceeds, and the memfd is sealed against writes, shrinking and growing
// before wasmtime maps it through /proc/self/fd: the bytes wasmtime runs are the bytes that
// were checked, and nothing outside the kernel can change or truncate them.

// deserializePrivate deserializes the cache entry f (size bytes, CRC-32C want) from a sealed
// private copy. errBadEntry means the entry itself is wrong (size or sum); other errors are
// the copy's (no memfd, no /proc), for which the caller falls back to reading into memory.
func deserializePrivate(engine *wasmtime.Engine, f *os.File, size int64, want uint32) (*wasmtime.Module, error) {
	if size <= 0 || size != int64(int(size)) {
		return nil, errBadEntry
	}
	fd, err := unix.MemfdCreate("orbital-cwasm", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, size); err != nil {
		return nil, fmt.Errorf("ftruncate: %w", err)
	}
	sum, err := copyChecked(fd, f, size)
	if err != nil {
		return nil, err
	}
	if sum != want {
		return nil, errBadEntry
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	mod, err := wasmtime.NewModuleDeserializeFile(engine, "/proc/self/fd/"+strconv.Itoa(fd))
	if err != nil {
		if _, serr := os.Stat("/proc/self/fd"); serr != nil {
			return nil, fmt.Errorf("no /proc/self/fd: %w", serr)
		}
		return nil, errBadEntry // wasmtime refused the checked bytes: built for another engine
	}
	return mod, nil
}

// copyChunk is how much copyChecked copies before the checksum goroutine takes it over.
const copyChunk = 1 << 20

// copyChecked copies size bytes of f into the memfd fd with sendfile (in the kernel, from the
// page cache) and returns the CRC-32C of the copy, computed through a read-only mapping of the
// memfd on a second goroutine that follows the copy chunk by chunk, so on two cores the
// checksum costs little more than the copy.
func copyChecked(fd int, f *os.File, size int64) (uint32, error) {
	data, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, fmt.Errorf("mmap: %w", err)
	}
	defer unix.Munmap(data)
	copied := make(chan int64, int(size/copyChunk)+1)
	sum := make(chan uint32)
	go func() {
		var crc uint32
		var done int64
		for end := range copied {
			crc = crc32.Update(crc, castagnoli, data[done:end])
			done = end
		}
		sum <- crc
	}()
	var off int64
	var cerr error
	for off < size {
		n, err := unix.Sendfile(fd, int(f.Fd()), &off, int(min(copyChunk, size-off)))
		if err != nil || n == 0 {
			cerr = errBadEntry // the file shrank under the copy, or cannot be read
			break
		}
		copied <- off
	}
	close(copied)
	crc := <-sum
	runtime.KeepAlive(f)
	return crc, cerr
}

// errBadEntry is a cache entry that does not match its sum (or wasmtime refuses): a miss.
var errBadEntry = errors.New("kernel: compile cache entry does not match its sum")

// parseSum reads a .sum file's "crc32c:<hex>:<length>".
func parseSum(b []byte) (crc uint32, size int64, ok bool) {
	var n int
	if _, err := fmt.Sscanf(string(b), "crc32c:%08x:%d\n", &crc, &n); err != nil {
		return 0, 0, false
	}
	return crc, int64(n), true
}
