package wasm4

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Disk is a cart's persistent storage: at most DiskSize bytes, kept in one file per cart
// (named by the digest of the cart's bytes, so two carts never share one and a new version of
// a cart starts empty). An empty path keeps it in memory only. A Disk is used by one
// goroutine (the cart's thread).
type Disk struct {
	path string
	data []byte
}

// OpenDisk opens the disk kept at path (created on the first write). An unreadable file is an
// error; a missing one is an empty disk.
func OpenDisk(path string) (*Disk, error) {
	d := &Disk{path: path}
	if path == "" {
		return d, nil
	}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return d, nil
	case err != nil:
		return nil, fmt.Errorf("wasm4 disk %s: %w", path, err)
	}
	if len(b) > DiskSize {
		b = b[:DiskSize]
	}
	d.data = b
	return d, nil
}

// Read copies the disk into dst and returns how many bytes it copied: the smaller of len(dst)
// and what was last written.
func (d *Disk) Read(dst []byte) int { return copy(dst, d.data) }

// Write replaces the disk with src (at most DiskSize bytes of it) and returns how many bytes
// it kept. The file is replaced atomically (a crash leaves the old or the new contents).
func (d *Disk) Write(src []byte) (int, error) {
	n := min(len(src), DiskSize)
	d.data = append(d.data[:0], src[:n]...)
	if d.path == "" {
		return n, nil
	}
	if err := writeAtomic(d.path, d.data); err != nil {
		return n, fmt.Errorf("wasm4 disk %s: %w", d.path, err)
	}
	return n, nil
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".disk-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if dh, err := os.Open(dir); err == nil {
		dh.Sync()
		dh.Close()
	}
	return nil
}
