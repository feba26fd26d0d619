//go:build wasip1

package main

import (
	"fmt"
	"strings"
	"unsafe"
)

// The raw WASI calls let fsprobe hand wasmtime a path exactly as written: Go's os package
// cleans "/data/../x" lexically before it reaches the host, which would test Go, not the
// sandbox.

//go:wasmimport wasi_snapshot_preview1 path_open
func wasiPathOpen(fd int32, dirflags uint32, path unsafe.Pointer, pathLen uint32, oflags uint32,
	rightsBase uint64, rightsInheriting uint64, fdflags uint32, result unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 fd_prestat_get
func wasiPrestatGet(fd int32, buf unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 fd_prestat_dir_name
func wasiPrestatDirName(fd int32, buf unsafe.Pointer, n uint32) uint32

//go:wasmimport wasi_snapshot_preview1 fd_close
func wasiClose(fd int32) uint32

const (
	lookupSymlinkFollow = 1
	oCreat              = 1
	oTrunc              = 8
	rightRead           = 1 << 1
	rightWrite          = 1 << 6
)

// preopenFD finds the descriptor WASI preopened for guest.
func preopenFD(guest string) (int32, error) {
	for fd := int32(3); fd < 64; fd++ {
		var st [8]byte // tag u8, pad, name length u32
		if wasiPrestatGet(fd, unsafe.Pointer(&st[0])) != 0 {
			break
		}
		n := uint32(st[4]) | uint32(st[5])<<8 | uint32(st[6])<<16 | uint32(st[7])<<24
		name := make([]byte, n)
		if n > 0 && wasiPrestatDirName(fd, unsafe.Pointer(&name[0]), n) != 0 {
			continue
		}
		if strings.TrimRight(string(name), "\x00") == guest {
			return fd, nil
		}
	}
	return -1, fmt.Errorf("no preopen %s", guest)
}

// rawOpen opens rel relative to the preopen guest, unchanged, and reports the WASI errno.
func rawOpen(guest, rel string, write bool) error {
	fd, err := preopenFD(guest)
	if err != nil {
		return err
	}
	var oflags uint32
	rights := uint64(rightRead)
	if write {
		oflags, rights = oCreat|oTrunc, rightWrite
	}
	p := []byte(rel)
	var out int32
	if e := wasiPathOpen(fd, lookupSymlinkFollow, unsafe.Pointer(&p[0]), uint32(len(p)), oflags, rights, rights, 0, unsafe.Pointer(&out)); e != 0 {
		return fmt.Errorf("wasi errno %d", e)
	}
	wasiClose(out)
	return nil
}
