package bus

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// RegionAdopt makes a region of fd, a memfd received from a native driver, held by pid with read
// and write rights, and returns pid's handle on it. The bus takes ownership of fd: it is closed
// when the region is freed, or at once when adoption fails. The memfd is sealed against
// shrinking and growing first (F_SEAL_SHRINK|F_SEAL_GROW; the driver must create it with
// MFD_ALLOW_SEALING), so the other process can never truncate the pages under the host's
// mapping, which would fault the kernel with SIGBUS.
func (b *Bus) RegionAdopt(pid PID, fd int, size int64) (uint32, error) {
	h, err := b.adopt(pid, fd, size)
	if err != nil {
		unix.Close(fd)
	}
	return h, err
}

func (b *Bus) adopt(pid PID, fd int, size int64) (uint32, error) {
	in, err := b.inboxFor("region adopt", pid)
	if err != nil {
		return 0, err
	}
	if size <= 0 || size > b.cfg.MaxRegionSize {
		return 0, fmt.Errorf("region adopt: %w: size %d is outside 1..%d", ErrInvalid, size, b.cfg.MaxRegionSize)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW); err != nil {
		return 0, fmt.Errorf("region adopt: %w: fd is not a sealable memfd (create it with MFD_ALLOW_SEALING): %v", ErrInvalid, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, fmt.Errorf("region adopt: %w: fstat: %v", ErrInvalid, err)
	}
	if st.Size != size {
		return 0, fmt.Errorf("region adopt: %w: memfd holds %d bytes, the region claims %d", ErrInvalid, st.Size, size)
	}
	if err := b.check(OpRegion, pid, fmt.Sprintf("create:%d", size)); err != nil {
		return 0, err
	}
	if used := in.regionBytes.Add(size); used > in.lim.MaxRegionBytes {
		in.regionBytes.Add(-size)
		return 0, fmt.Errorf("region adopt: %w: %v would hold %d region bytes, limit %d", ErrLimit, pid, used, in.lim.MaxRegionBytes)
	}
	data, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		in.regionBytes.Add(-size)
		return 0, fmt.Errorf("region adopt: %w: mmap: %v", ErrInvalid, err)
	}
	in.handles.mu.Lock()
	if err := in.handles.roomLocked("region adopt", pid, in.lim.MaxRegions); err != nil {
		in.handles.mu.Unlock()
		unix.Munmap(data)
		in.regionBytes.Add(-size)
		return 0, err
	}
	r := &Region{data: data, fd: fd, creator: in, set: &b.regions}
	r.refs.Store(1)
	b.regions.live.Add(1)
	id := in.handles.insertLocked(handle{r: r, rights: RightRead | RightWrite})
	in.handles.mu.Unlock()
	return id, nil
}
