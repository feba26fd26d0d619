package bus

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Region is a block of host memory owned by the bus. Processes hold it through handles; it is
// freed when the last handle is released. When the kernel allows, it is backed by a memfd
// mapped shared, so a native driver can map the same pages (Fd).
type Region struct {
	data    []byte
	fd      int // -1 when backed by the Go heap
	refs    atomic.Int32
	creator *Inbox // charged for the bytes until the region is freed
	set     *regionSet
}

// Size is the region's length in bytes.
func (r *Region) Size() int64 { return int64(len(r.data)) }

// Bytes is the region's memory, in place, with no copy. It is valid while the caller holds a
// handle on the region; host code (the compositor, drivers) must not keep it past a release.
func (r *Region) Bytes() []byte { return r.data }

// Fd is the memfd backing the region, or -1 when it lives on the Go heap. The fd stays owned by
// the bus (dup it to hand it to another process).
func (r *Region) Fd() int { return r.fd }

func (r *Region) decref() {
	if r.refs.Add(-1) != 0 {
		return
	}
	size := int64(len(r.data))
	if r.fd >= 0 {
		unix.Munmap(r.data)
		unix.Close(r.fd)
	}
	r.data = nil
	r.creator.regionBytes.Add(-size)
	r.set.live.Add(-1)
}

// regionSet counts live regions bus-wide.
type regionSet struct{ live atomic.Int64 }

func (s *regionSet) count() int { return int(s.live.Load()) }

// newRegion allocates size bytes, from a memfd when it can.
func newRegion(size int64) *Region {
	r := &Region{fd: -1}
	fd, err := unix.MemfdCreate("orbital-region", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err == nil {
		if err = unix.Ftruncate(fd, size); err == nil {
			// Sealed against resizing: a driver handed the fd can never truncate the pages
			// under the host's mapping (which would SIGBUS the kernel).
			_, err = unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW)
		}
		if err == nil {
			var data []byte
			data, err = unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
			if err == nil {
				r.data, r.fd = data, fd
				return r
			}
		}
		unix.Close(fd)
	}
	r.data = make([]byte, size)
	return r
}

// handle is one entry of a process's handle table.
type handle struct {
	r      *Region
	rights Rights
}

// handleTable maps a process's handles (> 0) to regions.
type handleTable struct {
	mu   sync.Mutex
	m    map[uint32]handle
	next uint32
	// detached is set when the process detaches (releaseAll): a region made for it afterwards
	// (its inbox was looked up before the Detach) is refused instead of outliving it.
	detached bool
}

func (t *handleTable) init() { t.next = 1 } // the map is made by the first handle

func (t *handleTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// roomLocked refuses a new handle for pid once it detached or at its limit of max handles.
func (t *handleTable) roomLocked(op string, pid PID, max int) error {
	if t.detached {
		return fmt.Errorf("%s: %w: %v is not attached", op, ErrNotFound, pid)
	}
	if len(t.m) >= max {
		return fmt.Errorf("%s: %w: %v holds %d handles, limit %d", op, ErrLimit, pid, max, max)
	}
	return nil
}

// insertLocked stores h under a fresh handle number.
func (t *handleTable) insertLocked(h handle) uint32 {
	if t.m == nil {
		t.m = map[uint32]handle{}
	}
	for {
		id := t.next
		t.next++
		if t.next > 1<<31-1 {
			t.next = 1
		}
		if _, used := t.m[id]; !used {
			t.m[id] = h
			return id
		}
	}
}

func (t *handleTable) get(id uint32) (handle, bool) {
	t.mu.Lock()
	h, ok := t.m[id]
	t.mu.Unlock()
	return h, ok
}

func (b *Bus) inboxFor(op string, pid PID) (*Inbox, error) {
	in, ok := b.Inbox(pid)
	if !ok {
		return nil, fmt.Errorf("%s: %w: %v is not attached", op, ErrNotFound, pid)
	}
	return in, nil
}

// RegionCreate makes a zeroed region of size bytes held by pid with read and write rights and
// returns pid's handle on it.
func (b *Bus) RegionCreate(pid PID, size int64) (uint32, error) {
	return b.regionCreate("region create", pid, size, true)
}

// RegionGive makes a region holding a copy of parts, one after the other, and gives pid a
// handle on it, with read and write rights. It is for host code answering a call the process
// made through another door (a fetched HTTP head and body): that door was checked, so the
// policy hook is not asked about the region, but it counts against pid's region limits like
// any other. The parts must not all be empty.
func (b *Bus) RegionGive(pid PID, parts ...[]byte) (uint32, error) {
	var size int64
	for _, p := range parts {
		size += int64(len(p))
	}
	return b.regionCreate("region give", pid, size, false, parts...)
}

// RegionRoom is how many more region bytes pid may hold now (its limit minus what it holds),
// capped by the bus's largest region.
func (b *Bus) RegionRoom(pid PID) (int64, error) {
	in, err := b.inboxFor("region room", pid)
	if err != nil {
		return 0, err
	}
	return max(0, min(in.lim.MaxRegionBytes-in.regionBytes.Load(), b.cfg.MaxRegionSize)), nil
}

func (b *Bus) regionCreate(op string, pid PID, size int64, check bool, parts ...[]byte) (uint32, error) {
	in, err := b.inboxFor(op, pid)
	if err != nil {
		return 0, err
	}
	if size <= 0 || size > b.cfg.MaxRegionSize {
		return 0, fmt.Errorf("%s: %w: size %d is outside 1..%d", op, ErrInvalid, size, b.cfg.MaxRegionSize)
	}
	if check {
		if err := b.check(OpRegion, pid, fmt.Sprintf("create:%d", size)); err != nil {
			return 0, err
		}
	}
	if used := in.regionBytes.Add(size); used > in.lim.MaxRegionBytes {
		in.regionBytes.Add(-size)
		return 0, fmt.Errorf("%s: %w: %v would hold %d region bytes, limit %d", op, ErrLimit, pid, used, in.lim.MaxRegionBytes)
	}
	in.handles.mu.Lock()
	if err := in.handles.roomLocked(op, pid, in.lim.MaxRegions); err != nil {
		in.handles.mu.Unlock()
		in.regionBytes.Add(-size)
		return 0, err
	}
	r := newRegion(size)
	at := 0
	for _, p := range parts {
		at += copy(r.data[at:], p)
	}
	r.creator, r.set = in, &b.regions
	r.refs.Store(1)
	b.regions.live.Add(1)
	id := in.handles.insertLocked(handle{r: r, rights: RightRead | RightWrite})
	in.handles.mu.Unlock()
	return id, nil
}

// Region returns the region behind pid's handle and pid's rights on it, for host code that
// reads or writes it in place (Region.Bytes).
func (b *Bus) Region(pid PID, h uint32) (*Region, Rights, error) {
	in, err := b.inboxFor("region", pid)
	if err != nil {
		return nil, 0, err
	}
	hd, ok := in.handles.get(h)
	if !ok {
		return nil, 0, fmt.Errorf("region %d of %v: %w: no such handle (released, transferred or never granted)", h, pid, ErrNotFound)
	}
	return hd.r, hd.rights, nil
}

// RegionAcquire is Region plus a reference of the caller's own: the region's Bytes stay mapped
// until release is called, whatever happens to pid's handle meanwhile. Host code that reads a
// region in place while the owning process may release it (the compositor, a driver bridge)
// uses this.
func (b *Bus) RegionAcquire(pid PID, h uint32) (r *Region, rights Rights, release func(), err error) {
	in, err := b.inboxFor("region", pid)
	if err != nil {
		return nil, 0, nil, err
	}
	in.handles.mu.Lock()
	hd, ok := in.handles.m[h]
	if ok {
		hd.r.refs.Add(1)
	}
	in.handles.mu.Unlock()
	if !ok {
		return nil, 0, nil, fmt.Errorf("region %d of %v: %w: no such handle", h, pid, ErrNotFound)
	}
	var once sync.Once
	return hd.r, hd.rights, func() { once.Do(hd.r.decref) }, nil
}

// RegionSize is the size of the region behind pid's handle.
func (b *Bus) RegionSize(pid PID, h uint32) (int64, error) {
	r, _, err := b.Region(pid, h)
	if err != nil {
		return 0, err
	}
	return r.Size(), nil
}

// withSpan checks [off, off+n) against the region behind pid's handle and pid's rights, and
// runs fn on those bytes while holding a reference, so a release racing with the copy (another
// holder's, or an evicted message's grant) cannot unmap the pages under it.
func (b *Bus) withSpan(op string, pid PID, h uint32, off int64, n int, need Rights, fn func([]byte)) error {
	in, err := b.inboxFor("region "+op, pid)
	if err != nil {
		return err
	}
	in.handles.mu.Lock()
	hd, ok := in.handles.m[h]
	if ok {
		hd.r.refs.Add(1)
	}
	in.handles.mu.Unlock()
	if !ok {
		return fmt.Errorf("region %s %d of %v: %w: no such handle (released, transferred or never granted)", op, h, pid, ErrNotFound)
	}
	defer hd.r.decref()
	r := hd.r
	if hd.rights&need != need {
		return fmt.Errorf("region %s %d of %v: %w: the handle has rights %d, needs %d", op, h, pid, ErrRights, hd.rights, need)
	}
	if off < 0 || n < 0 || off > r.Size() || int64(n) > r.Size()-off {
		return fmt.Errorf("region %s %d of %v: %w: range %d+%d is outside the region's %d bytes", op, h, pid, ErrInvalid, off, n, r.Size())
	}
	fn(r.data[off : off+int64(n)])
	return nil
}

// RegionRead copies the region's bytes at off into dst (one copy). The whole range must lie in
// the region.
func (b *Bus) RegionRead(pid PID, h uint32, off int64, dst []byte) error {
	return b.withSpan("read", pid, h, off, len(dst), RightRead, func(src []byte) { copy(dst, src) })
}

// RegionWrite copies src into the region at off (one copy).
func (b *Bus) RegionWrite(pid PID, h uint32, off int64, src []byte) error {
	return b.withSpan("write", pid, h, off, len(src), RightWrite, func(dst []byte) { copy(dst, src) })
}

// RegionRelease drops pid's handle; the region is freed when no handle is left.
func (b *Bus) RegionRelease(pid PID, h uint32) error {
	in, err := b.inboxFor("region release", pid)
	if err != nil {
		return err
	}
	in.handles.mu.Lock()
	hd, ok := in.handles.m[h]
	delete(in.handles.m, h)
	in.handles.mu.Unlock()
	if !ok {
		return fmt.Errorf("region release %d of %v: %w: no such handle", h, pid, ErrNotFound)
	}
	hd.r.decref()
	return nil
}

// grant installs into to's table the regions that atts (from's handles) name, with the rights
// each asks for, and returns the receiver-side attachments. On error nothing is installed.
func (b *Bus) grant(from, to *Inbox, atts []Attachment) ([]Attachment, error) {
	refs := make([]handle, len(atts))
	from.handles.mu.Lock()
	for i, a := range atts {
		if a.Rights&^attachFlagAll != 0 || a.Rights&rightsMask == 0 {
			from.handles.mu.Unlock()
			b.dropRefs(refs[:i])
			return nil, fmt.Errorf("attach region %d: %w: flags %d (want read 1 and/or write 2, plus transfer 4)", a.Handle, ErrInvalid, a.Rights)
		}
		hd, ok := from.handles.m[a.Handle]
		if !ok {
			from.handles.mu.Unlock()
			b.dropRefs(refs[:i])
			return nil, fmt.Errorf("attach region %d of %v: %w: no such handle", a.Handle, from.pid, ErrNotFound)
		}
		want := a.Rights & rightsMask
		if want&^hd.rights != 0 {
			from.handles.mu.Unlock()
			b.dropRefs(refs[:i])
			return nil, fmt.Errorf("attach region %d of %v: %w: grants rights %d but holds only %d", a.Handle, from.pid, ErrRights, want, hd.rights)
		}
		hd.r.refs.Add(1)
		refs[i] = handle{r: hd.r, rights: want}
	}
	from.handles.mu.Unlock()

	out := make([]Attachment, len(atts))
	to.handles.mu.Lock()
	if len(to.handles.m)+len(refs) > to.lim.MaxRegions {
		to.handles.mu.Unlock()
		b.dropRefs(refs)
		return nil, fmt.Errorf("attach regions to %v: %w: it holds %d handles, limit %d", to.pid, ErrLimit, len(to.handles.m), to.lim.MaxRegions)
	}
	for i, hd := range refs {
		out[i] = Attachment{Handle: to.handles.insertLocked(hd), Rights: hd.rights}
	}
	to.handles.mu.Unlock()
	return out, nil
}

func (b *Bus) dropRefs(hs []handle) {
	for _, h := range hs {
		h.r.decref()
	}
}

// ungrant removes handles granted to in (a message that was never received).
func (b *Bus) ungrant(in *Inbox, atts []Attachment) {
	in.handles.mu.Lock()
	var drop []handle
	for _, a := range atts {
		if hd, ok := in.handles.m[a.Handle]; ok {
			delete(in.handles.m, a.Handle)
			drop = append(drop, hd)
		}
	}
	in.handles.mu.Unlock()
	b.dropRefs(drop)
}

// finishTransfers takes from the sender the handles it attached with FlagTransfer.
func (b *Bus) finishTransfers(pid PID, atts []Attachment) {
	var hs []uint32
	for _, a := range atts {
		if a.Rights&FlagTransfer != 0 {
			hs = append(hs, a.Handle)
		}
	}
	if len(hs) == 0 {
		return
	}
	for _, h := range hs {
		b.RegionRelease(pid, h) // an already-taken duplicate is fine
	}
}

// releaseAll drops every handle of a detached process.
func (b *Bus) releaseAll(in *Inbox) {
	in.handles.mu.Lock()
	all := in.handles.m
	in.handles.m = nil
	in.handles.detached = true
	in.handles.mu.Unlock()
	for _, hd := range all {
		hd.r.decref()
	}
}
