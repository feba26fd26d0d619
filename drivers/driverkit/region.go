package driverkit

import (
	"errors"
	"fmt"
	"sync"

	"github.com/orbital/orbital/drivers/wire"
	"golang.org/x/sys/unix"
)

// Region is shared memory: one the driver created (NewRegion) or one it received in a message.
type Region struct {
	d      *Driver
	id     uint32 // driver-chosen id for its own regions; 0 for received ones
	fd     int    // received regions: mapped on first Bytes
	size   int
	rights uint32

	mu   sync.Mutex
	data []byte
}

func wireErr(s string) error { return fmt.Errorf("%w: %s", wire.ErrProtocol, s) }

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// NewRegion creates a shared memory region of size bytes, maps it and shares it with the kernel,
// which adopts it as a bus region held by this driver. Attach it to Publish or Reply to hand it to
// other processes without copying.
func (d *Driver) NewRegion(size int) (*Region, error) {
	if size <= 0 {
		return nil, fmt.Errorf("driverkit: region of %d bytes", size)
	}
	fd, err := unix.MemfdCreate("orbital-driver-region", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("driverkit: memfd_create: %w", err)
	}
	defer unix.Close(fd) // the mapping and the kernel's copy of the descriptor keep it alive
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return nil, fmt.Errorf("driverkit: region of %d bytes: %w", size, err)
	}
	data, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("driverkit: mmap region: %w", err)
	}
	r := &Region{d: d, id: d.nextRID.Add(1), fd: -1, size: size, rights: 3, data: data}
	m := wire.RegionAdd{ID: r.id, Size: uint64(size)}
	if err := d.conn.Write(wire.TRegionAdd, m.Encode(), fd); err != nil {
		unix.Munmap(data)
		return nil, fmt.Errorf("driverkit: share region: %w", err)
	}
	return r, nil
}

// Size is the region's length in bytes.
func (r *Region) Size() int { return r.size }

// Fd is the descriptor of a received region (-1 for one the driver created, or once closed),
// to hand to a helper process; the Region keeps owning it.
func (r *Region) Fd() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fd
}

// Rights are what this process may do with the region (1 read, 2 write).
func (r *Region) Rights() uint32 { return r.rights }

// Bytes maps the region (received regions on first use) and returns its memory in place.
func (r *Region) Bytes() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.data != nil {
		return r.data, nil
	}
	if r.fd < 0 {
		return nil, errors.New("driverkit: region is closed")
	}
	prot := unix.PROT_READ
	if r.rights&2 != 0 {
		prot |= unix.PROT_WRITE
	}
	data, err := unix.Mmap(r.fd, 0, r.size, prot, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("driverkit: map received region: %w", err)
	}
	r.data = data
	return data, nil
}

// Close unmaps the region. For a region the driver created, the kernel is told to release its
// handle; processes that received it keep their own.
func (r *Region) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.data != nil {
		unix.Munmap(r.data)
		r.data = nil
	}
	if r.fd >= 0 {
		unix.Close(r.fd)
		r.fd = -1
	}
	if r.d != nil && r.id != 0 {
		m := wire.Seq{ID: r.id}
		d := r.d
		r.d = nil
		return d.conn.Write(wire.TRegionDrop, m.Encode())
	}
	return nil
}
