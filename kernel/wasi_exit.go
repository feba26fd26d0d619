package kernel

import (
	"strconv"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// proc_exit(code) is the kernel's, not wasmtime's: wasmtime's WASI refuses a status outside
// [0, 126) with a trap ("exit with invalid exit status"), so a module that exits 188 would be
// reported crashed (134) here, and to its parent on another node. An exit code is an exit
// code: the kernel records it and ends the guest; classify reads it before anything else.
func wasiProcExit(c *call, a []wasmtime.Val) []wasmtime.Val {
	p := c.p
	p.exitStatus.Store(uint32(a[0].I32()))
	p.exitCalled.Store(true)
	c.trap = "orbital: proc_exit " + strconv.FormatUint(uint64(uint32(a[0].I32())), 10)
	return nil
}

// exitCall reports the status the guest gave proc_exit, if it called it.
func (p *Process) exitCall() (int, bool) {
	if !p.exitCalled.Load() {
		return 0, false
	}
	return int(p.exitStatus.Load()), true
}

func init() {
	registerWasiOverrides(hostFunc{name: "proc_exit", params: kinds(i32), results: kinds(), fn: wasiProcExit})
}
