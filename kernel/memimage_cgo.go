package kernel

// #include <stdlib.h>
// #include "memlimit.h"
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// memImages holds the images of one split module's defined memories (memimage.go) in C
// memory, where the kernel's memory creator (memlimit.c) finds them while the module is
// instantiated. The Go value owns them: they are freed (memfds closed) when it is collected,
// and every compiled module that needs them holds it.
type memImages struct {
	c    *C.orbital_image_set
	size int64 // bytes of image data held
}

// newMemImages builds the images of imgs (one per defined memory, nil for none): a sealed
// memfd each (memfd true), or, where memfds cannot be made, a copy in C memory. Nil imgs: nil.
func newMemImages(imgs []*dataImage, memfd bool) (*memImages, error) {
	if len(imgs) == 0 {
		return nil, nil
	}
	set := C.orbital_image_set_new(C.int(len(imgs)))
	if set == nil {
		return nil, fmt.Errorf("kernel: memory images: out of memory")
	}
	m := &memImages{c: set}
	runtime.AddCleanup(m, func(set *C.orbital_image_set) { C.orbital_image_set_free(set) }, set)
	for i, img := range imgs {
		if img == nil {
			continue
		}
		slot := C.orbital_image_at(set, C.int(i))
		var err error
		if memfd {
			err = fillImage(slot, img)
		} else {
			err = copyImage(slot, img)
		}
		if err != nil {
			return nil, fmt.Errorf("kernel: memory image: %w", err)
		}
		m.size += img.size
	}
	return m, nil
}

// fillImage writes img into a new sealed memfd for slot, or, where memfds cannot be made,
// into C memory (copyImage).
func fillImage(slot *C.orbital_image, img *dataImage) error {
	fd, err := unix.MemfdCreate("orbital-image", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return copyImage(slot, img)
	}
	slot.size, slot.fd = C.size_t(img.size), C.int(fd)
	if err := unix.Ftruncate(fd, img.size); err != nil {
		return fmt.Errorf("ftruncate: %w", err)
	}
	if err := writeSegments(fd, img.segs); err != nil {
		return err
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	return nil
}

// copyImage puts img into C memory for slot: the memory creator copies it into each new
// memory (touching its pages, as wasmtime's own copy of the segments did).
func copyImage(slot *C.orbital_image, img *dataImage) error {
	slot.data = (*C.uint8_t)(C.calloc(1, C.size_t(img.size)))
	if slot.data == nil {
		return fmt.Errorf("out of memory for %d bytes", img.size)
	}
	slot.size = C.size_t(img.size)
	buf := unsafe.Slice((*byte)(unsafe.Pointer(slot.data)), img.size)
	for _, s := range img.segs {
		copy(buf[s.off:], s.b)
	}
	return nil
}

// writeSegments writes segs into fd at their offsets, in order (a later segment wins where
// two overlap), joining runs of adjacent segments into one pwritev: a Go module has about
// 34,000 segments, most of them back to back.
func writeSegments(fd int, segs []dataSeg) error {
	const maxIov = 1024
	iov := make([][]byte, 0, maxIov)
	var at, end int64
	flush := func() error {
		for len(iov) > 0 {
			n, err := unix.Pwritev(fd, iov, at)
			if err != nil {
				return fmt.Errorf("pwritev: %w", err)
			}
			at += int64(n)
			for n > 0 && len(iov) > 0 {
				if n >= len(iov[0]) {
					n -= len(iov[0])
					iov = iov[1:]
				} else {
					iov[0] = iov[0][n:]
					n = 0
				}
			}
		}
		iov = iov[:0]
		return nil
	}
	for _, s := range segs {
		if len(s.b) == 0 {
			continue
		}
		if s.off != end || len(iov) == maxIov {
			if err := flush(); err != nil {
				return err
			}
			at = s.off
		}
		iov = append(iov, s.b)
		end = s.off + int64(len(s.b))
	}
	return flush()
}

// instantiateImaged runs instantiate (one module's instantiation) with img as the images of the
// memories it creates. The caller is locked to its thread.
func instantiateImaged[T any](img *memImages, instantiate func() (T, error)) (T, error) {
	defer img.enter().restore()
	return instantiate()
}

// pendingImages is a thread's images before enter, to restore.
type pendingImages struct{ c C.orbital_pending }

// enter makes m the images of the memories the calling thread creates next, one per memory in
// order, for one instantiation; the caller is locked to its thread and restores the returned
// value after. A nil m: no images.
func (m *memImages) enter() pendingImages {
	var set *C.orbital_image_set
	if m != nil {
		set = m.c
	}
	return pendingImages{C.orbital_images_enter(set)}
}

func (p pendingImages) restore() { C.orbital_images_restore(p.c) }
