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
// instantiated: one sealed memfd with the images one after another, or, where memfds cannot
// be made, a copy in C memory. The Go value owns them: they are freed (the memfd closed) when
// it is collected, and every compiled module that needs them holds it.
type memImages struct {
	c     *C.orbital_image_set
	sizes []int64 // each defined memory's image, in order (0: none)
	size  int64   // their total
}

// imageLayout is the sizes of imgs' images, in order (0 for a memory without one), and their
// total: the layout of a memImages and of the images in a cache entry (cache.go).
func imageLayout(imgs []*dataImage) (sizes []int64, total int64) {
	sizes = make([]int64, len(imgs))
	for i, img := range imgs {
		if img != nil {
			sizes[i] = img.size
			total += img.size
		}
	}
	return sizes, total
}

// imageBytes lays imgs out as the bytes of their images, one after another.
func imageBytes(imgs []*dataImage) []byte {
	_, total := imageLayout(imgs)
	buf := make([]byte, total)
	var at int64
	for _, img := range imgs {
		if img == nil {
			continue
		}
		for _, s := range img.segs {
			copy(buf[at+s.off:], s.b) // in module order: a later segment wins
		}
		at += img.size
	}
	return buf
}

// newMemImages builds the images of imgs (one per defined memory, nil for none) and returns
// them with their bytes (for the disk cache). No images: nil.
func newMemImages(imgs []*dataImage) (*memImages, []byte, error) {
	sizes, total := imageLayout(imgs)
	if total == 0 {
		return nil, nil, nil
	}
	buf := imageBytes(imgs)
	fd, err := imageMemfd(total)
	if err == nil {
		if _, err = unix.Pwrite(fd, buf, 0); err == nil {
			err = sealImages(fd)
		}
		if err != nil {
			unix.Close(fd)
			return nil, nil, fmt.Errorf("kernel: memory images: %w", err)
		}
		m, err := memImagesFromFD(fd, sizes)
		return m, buf, err
	}
	m, err := memImagesCopy(buf, sizes)
	return m, buf, err
}

// imageMemfd makes an empty memfd of size bytes for images.
func imageMemfd(size int64) (int, error) {
	fd, err := unix.MemfdCreate("orbital-image", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, err
	}
	if err := unix.Ftruncate(fd, size); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// sealImages seals an images memfd once written: the bytes every instance maps are the bytes
// that were checked, and nothing can change, shrink or grow them.
func sealImages(fd int) error {
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	_, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals)
	return err
}

// memImagesFromFD takes the sealed memfd fd holding images of the given sizes, one after
// another; it is closed when the images are collected (or here, on an error).
func memImagesFromFD(fd int, sizes []int64) (*memImages, error) {
	return newImageSet(C.int(fd), nil, sizes, func() { unix.Close(fd) })
}

// memImagesCopy keeps images in C memory, for the memory creator to copy into each memory
// (touching its pages, as wasmtime's own copy of the segments did): where memfds cannot be
// made.
func memImagesCopy(buf []byte, sizes []int64) (*memImages, error) {
	data := (*C.uint8_t)(C.malloc(C.size_t(max(len(buf), 1))))
	if data == nil {
		return nil, fmt.Errorf("kernel: memory images: out of memory for %d bytes", len(buf))
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(data)), len(buf)), buf)
	return newImageSet(-1, data, sizes, func() { C.free(unsafe.Pointer(data)) })
}

// newImageSet makes the C set of fd or data (which it then owns; undo releases them if it
// cannot).
func newImageSet(fd C.int, data *C.uint8_t, sizes []int64, undo func()) (*memImages, error) {
	cs := (*C.int64_t)(C.malloc(C.size_t(8 * max(len(sizes), 1))))
	if cs == nil {
		undo()
		return nil, fmt.Errorf("kernel: memory images: out of memory")
	}
	defer C.free(unsafe.Pointer(cs))
	var total int64
	for i, s := range sizes {
		unsafe.Slice((*int64)(unsafe.Pointer(cs)), len(sizes))[i] = s
		total += s
	}
	set := C.orbital_image_set_new(C.int(len(sizes)), fd, data, cs)
	if set == nil {
		undo()
		return nil, fmt.Errorf("kernel: memory images: out of memory")
	}
	m := &memImages{c: set, sizes: sizes, size: total}
	runtime.AddCleanup(m, func(set *C.orbital_image_set) { C.orbital_image_set_free(set) }, set)
	return m, nil
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
