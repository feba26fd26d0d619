package worker

import (
	"errors"
	"io"

	"github.com/orbital/orbital/drivers/gpu"
	"golang.org/x/sys/unix"
)

// region is one region descriptor of a job, open for the job only: the descriptor keeps the
// pages alive even if every process releases the region meanwhile. The worker never maps it:
// its bytes go through pread and pwrite straight into and out of mapped GL buffers (pictures
// through a staging buffer, run.go's pixels). A fresh mapping per job cost more than the copy
// itself, on its first touch of each page (docs/design/gpu.md, 2026-12-03).
type region struct {
	fd    int
	size  int64
	write bool // the job may write it
}

var (
	_ io.ReaderAt = (*region)(nil)
	_ io.WriterAt = (*region)(nil)
)

// openRegions takes the job's descriptors: each must hold at least the bytes the job names.
// On an error every descriptor is closed.
func openRegions(fds []int, regs []gpu.JobRegion) ([]*region, error) {
	if len(fds) != len(regs) {
		closeFDs(fds)
		return nil, fail(gpu.CodeInternal, "job names %d regions and carries %d descriptors", len(regs), len(fds))
	}
	out := make([]*region, len(fds))
	for i, r := range regs {
		var st unix.Stat_t
		if err := unix.Fstat(fds[i], &st); err != nil || st.Size < r.Size || r.Size <= 0 {
			closeFDs(fds)
			return nil, fail(gpu.CodeInvalid, "region %d: %d bytes named, descriptor holds %d", i, r.Size, st.Size)
		}
		out[i] = &region{fd: fds[i], size: r.Size, write: r.Write}
	}
	return out, nil
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// closeRegions closes the job's regions.
func closeRegions(rs []*region) {
	for _, r := range rs {
		unix.Close(r.fd)
	}
}

var errReadOnly = errors.New("the job does not write this region")

// ReadAt reads len(p) bytes at off; a read past the region's end is an error, never a short
// read.
func (r *region) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > r.size {
		return 0, io.ErrUnexpectedEOF
	}
	// A read of nothing: the descriptor shrank under the job.
	return r.whole(unix.Pread, p, off, io.ErrUnexpectedEOF)
}

// WriteAt writes p at off, within the region, when the job writes it.
func (r *region) WriteAt(p []byte, off int64) (int, error) {
	if !r.write {
		return 0, errReadOnly
	}
	if off < 0 || off+int64(len(p)) > r.size {
		return 0, io.ErrShortWrite
	}
	return r.whole(unix.Pwrite, p, off, io.ErrShortWrite)
}

// whole runs op (pread or pwrite) on the region's descriptor until all of p is done, again
// after EINTR; a call that moves nothing ends it with short.
func (r *region) whole(op func(int, []byte, int64) (int, error), p []byte, off int64, short error) (int, error) {
	n := 0
	for n < len(p) {
		k, err := op(r.fd, p[n:], off+int64(n))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if k == 0 {
			return n, short
		}
		n += k
	}
	return n, nil
}
