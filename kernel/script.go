package kernel

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Script is a program an interpreter module runs, handed over by the embedder at spawn: the
// JavaScript engine module (modules/js) reads it with script_read. The bytes live in the host
// and reach the guest only through that call, so running a script needs no filesystem grant
// the script could then use for anything else. A process spawned with a Script is the
// script's: its policy identity is SpawnOptions.Name (the embedder names it after the script,
// not the engine) and Info.Digest is the script's sha256.
type Script struct {
	File   string // the script's file name, as its messages name it ("app.js")
	Source []byte // the script; the kernel never changes it
}

// Digest is the script's sha256, hex, as Info.Digest shows it (and the registry indexes an
// installed script package by).
func (s *Script) Digest() string {
	sum := sha256.Sum256(s.Source)
	return hex.EncodeToString(sum[:])
}

// WithScript returns m bound to the script s: a Module that spawns m (an interpreter, the
// JavaScript engine) running s under name, as if s were a module of its own. The compiled
// code is m's, shared by every script bound to it; Name and Path are the script's, Script is
// s (Spawn runs it when SpawnOptions.Script is nil), Digest stays the code's (the process's
// Info.Digest is the script's).
func (m *Module) WithScript(name, path string, s *Script) *Module {
	c := *m
	c.Name, c.Path, c.Script = name, path, s
	return &c
}

// maxFailReason bounds the reason proc_fail records (a JS stack can be long).
const maxFailReason = 4096

func init() {
	registerHostFuncs(
		hostFunc{name: "script_read", params: kinds(i32, i32), results: kinds(i32), fn: hostScriptRead},
		hostFunc{name: "proc_fail", params: kinds(i32, i32), results: kinds(i32), fn: hostProcFail},
	)
}

// script_read(buf_ptr, buf_cap) -> total length | ERR_NOT_FOUND | ERR_TOO_SMALL | ERR_FAULT
//
// Writes u32 file-name length, the file name, then the source. buf_cap 0 writes nothing and
// returns the length.
func hostScriptRead(c *call, a []wasmtime.Val) []wasmtime.Val {
	s := c.p.opts.Script
	if s == nil {
		return one(errNotFound)
	}
	ptr, capacity := a[0].I32(), a[1].I32()
	if capacity < 0 {
		return one(errInvalid)
	}
	total := 4 + int64(len(s.File)) + int64(len(s.Source))
	if total > 1<<31-1 {
		return one(errTooBig)
	}
	if capacity == 0 {
		return one(int32(total))
	}
	buf, ok := c.bytes(ptr, capacity)
	if !ok {
		return one(errFault)
	}
	if int64(len(buf)) < total {
		return one(errTooSmall)
	}
	binary.LittleEndian.PutUint32(buf, uint32(len(s.File)))
	n := 4 + copy(buf[4:], s.File)
	copy(buf[n:], s.Source)
	return one(int32(total))
}

// proc_fail(reason_ptr, reason_len) -> ERR_FAULT | ERR_INVALID; on success it does not return
//
// The process ends as crashed (exit code 134) with reason as Info.Reason: how an interpreter
// reports its program's uncaught exception or syntax error.
func hostProcFail(c *call, a []wasmtime.Val) []wasmtime.Val {
	n := a[1].I32()
	if n < 0 {
		return one(errInvalid)
	}
	b, ok := c.bytes(a[0].I32(), n)
	if !ok {
		return one(errFault)
	}
	reason := failReason(b)
	c.p.setCause(reason)
	c.trap = "orbital: proc_fail: " + firstLine(reason)
	return nil
}

// failReason makes a guest's words safe to show: valid UTF-8, at most maxFailReason bytes,
// control characters other than newline and tab written as \xNN (a reason is printed on
// terminals and in the admin panel), trailing blank lines dropped.
func failReason(b []byte) string {
	cut := len(b) > maxFailReason
	if cut {
		b = b[:maxFailReason]
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1:
			if cut && !utf8.FullRune(b) {
				b = nil // the cut fell inside a character
				continue
			}
			sb.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\t':
			sb.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			sb.WriteString(`\x` + strconv.FormatUint(uint64(r)|0x100, 16)[1:])
		default:
			sb.Write(b[:size])
		}
		b = b[size:]
	}
	s := strings.TrimRight(sb.String(), "\n\t ")
	if s == "" {
		s = "failed (no reason given)"
	}
	if cut {
		s += " [cut at 4 KiB]"
	}
	return s
}
