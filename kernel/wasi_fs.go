package kernel

import (
	"fmt"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/policies"
)

// The filesystem calls of WASI that change a directory (path_open, path_create_directory,
// path_remove_directory, path_unlink_file, path_rename, path_symlink, path_link,
// path_filestat_set_times) go through the kernel before wasmtime's WASI runs them, for two
// things wasmtime's own implementation cannot do (docs/design/security.md):
//
//   - a refusal is audited (issue 18, defect 15): when WASI answers EPERM, EACCES, EROFS or
//     ENOTCAPABLE (a write, create, rename or delete in a read-only grant), the kernel records
//     it in the audit log like any other door's, naming the guest path and the grant, and logs
//     the first few;
//   - a symlink may only point down (defect 14): a target that is absolute or has a ".."
//     component is refused with EPERM and audited. Such a link could not be followed from
//     inside the sandbox, but it stays on the host, in the user's directory, pointing wherever
//     the guest chose. A link whose target only descends resolves inside the directory it is
//     in, wherever that directory is later moved.
//
// wasmtime-go cannot call its WASI functions from Go: they read the caller's exported
// "memory", and a call made from the host has no calling instance. So each process gets, on
// its first such call, a small helper instance (fsHelperWAT) that imports the caller's memory
// and wasmtime's original WASI functions, re-exports the memory and forwards each call: WASI
// then sees the helper as its caller and the guest's memory as the helper's.

// fsCalls are the overridden functions: their WASI signature and what the audit calls them.
var fsCalls = []struct {
	name    string
	params  []wasmtime.ValKind
	op      string
	fdArg   int // index of the directory fd the path is relative to
	pathArg int // index of the (ptr, len) pair naming the path
}{
	{"path_open", kinds(i32, i32, i32, i32, i32, i64, i64, i32, i32), "open", 0, 2},
	{"path_create_directory", kinds(i32, i32, i32), "mkdir", 0, 1},
	{"path_remove_directory", kinds(i32, i32, i32), "rmdir", 0, 1},
	{"path_unlink_file", kinds(i32, i32, i32), "unlink", 0, 1},
	{"path_rename", kinds(i32, i32, i32, i32, i32, i32), "rename", 0, 1},
	{"path_symlink", kinds(i32, i32, i32, i32, i32), "symlink", 2, 3},
	{"path_link", kinds(i32, i32, i32, i32, i32, i32, i32), "link", 4, 5},
	{"path_filestat_set_times", kinds(i32, i32, i32, i32, i64, i64, i32), "touch", 0, 2},
}

// WASI preview 1 errno values the kernel returns or recognises.
const (
	errnoAcces      = 2
	errnoPerm       = 63
	errnoRofs       = 69
	errnoNotCapable = 76
	errnoFault      = 21
)

func init() {
	for _, f := range fsCalls {
		f := f
		registerWasiOverrides(hostFunc{name: f.name, params: f.params, results: kinds(i32),
			fn: func(c *call, a []wasmtime.Val) []wasmtime.Val { return c.wasiFS(f.name, f.op, f.fdArg, f.pathArg, a) }})
	}
}

// fsHelperWAT forwards each overridden call to wasmtime's WASI with the caller's memory.
var fsHelperWAT = func() string {
	var b strings.Builder
	b.WriteString("(module\n  (import \"env\" \"memory\" (memory 0))\n")
	for _, f := range fsCalls {
		fmt.Fprintf(&b, "  (import \"wasi\" %q (func $%s (param%s) (result i32)))\n", f.name, f.name, watKinds(f.params))
	}
	b.WriteString("  (export \"memory\" (memory 0))\n")
	for _, f := range fsCalls {
		fmt.Fprintf(&b, "  (func (export %q) (param%s) (result i32)", f.name, watKinds(f.params))
		for i := range f.params {
			fmt.Fprintf(&b, " local.get %d", i)
		}
		fmt.Fprintf(&b, " call $%s)\n", f.name)
	}
	b.WriteString(")")
	return b.String()
}()

func watKinds(ks []wasmtime.ValKind) string {
	s := ""
	for _, k := range ks {
		s += " " + map[wasmtime.ValKind]string{i32: "i32", i64: "i64"}[k]
	}
	return s
}

// fsHelperCode is the helper compiled for one engine, with a linker holding only WASI.
type fsHelperCode struct {
	once   sync.Once
	mod    *wasmtime.Module
	linker *wasmtime.Linker
	err    error
}

func (k *Kernel) fsHelperFor(e *wasmtime.Engine) (*fsHelperCode, error) {
	v, _ := k.fsHelpers.LoadOrStore(e, &fsHelperCode{})
	h := v.(*fsHelperCode)
	h.once.Do(func() {
		wasm, err := wasmtime.Wat2Wasm(fsHelperWAT)
		if err == nil {
			h.mod, err = wasmtime.NewModule(e, wasm)
		}
		if err == nil {
			h.linker = wasmtime.NewLinker(e)
			err = h.linker.DefineWasi()
		}
		h.err = err
	})
	return h, h.err
}

// fsHelperKey keys a process's helper instances by the memory they forward.
type fsHelperKey struct{ mem wasmtime.Memory }

// fsForward runs the original WASI function name with args for the caller.
func (c *call) fsForward(name string, mem *wasmtime.Memory, args []wasmtime.Val) (int32, error) {
	key := fsHelperKey{*mem}
	inst, _ := c.p.local[key].(*wasmtime.Instance)
	if inst == nil {
		h, err := c.p.k.fsHelperFor(c.p.eng.engine)
		if err != nil {
			return 0, err
		}
		imports := []wasmtime.AsExtern{mem}
		for _, f := range fsCalls {
			ex := h.linker.Get(c.caller, wasiModule, f.name)
			if ex == nil {
				return 0, fmt.Errorf("WASI has no %s", f.name)
			}
			imports = append(imports, ex)
		}
		if inst, err = wasmtime.NewInstance(c.caller, h.mod, imports); err != nil {
			return 0, err
		}
		c.local(key, func() any { return inst })
	}
	in := make([]any, len(args))
	for i, a := range args {
		in[i] = a.Get()
	}
	out, err := inst.GetFunc(c.caller, name).Call(c.caller, in...)
	if err != nil {
		return 0, err
	}
	v, _ := out.(int32)
	return v, nil
}

// wasiFS is every overridden call: check a symlink's target, forward, audit a refusal.
func (c *call) wasiFS(name, op string, fdArg, pathArg int, a []wasmtime.Val) []wasmtime.Val {
	ex := c.caller.GetExport("memory")
	if ex == nil || ex.Memory() == nil {
		return one(errnoFault) // WASI reads its arguments from the caller's memory
	}
	mem := ex.Memory()
	data := mem.UnsafeData(c.caller)
	str := func(ptr, n int32) (string, bool) {
		if ptr < 0 || n < 0 || int64(ptr)+int64(n) > int64(len(data)) {
			return "", false
		}
		return string(data[ptr : ptr+n]), true
	}
	target, ok := str(a[pathArg].I32(), a[pathArg+1].I32())
	if !ok {
		return one(errnoFault)
	}
	dirFD := a[fdArg].I32()
	if name == "path_symlink" {
		link, _ := str(a[0].I32(), a[1].I32())
		if bad := symlinkTargetEscapes(link); bad != "" {
			c.p.fsRefused("symlink", c.p.guestPath(dirFD, target)+" -> "+link, bad)
			return one(errnoPerm)
		}
	}
	errno, err := c.fsForward(name, mem, a)
	if err != nil {
		c.p.setCause("WASI " + name + ": " + oneLine(err.Error()))
		c.trap = "orbital: WASI " + name + " failed"
		return nil
	}
	if errno == errnoPerm || errno == errnoAcces || errno == errnoRofs || errno == errnoNotCapable {
		what := op
		if name == "path_open" && !fsOpenWrites(a) {
			what = "read"
		}
		c.p.fsRefused(what, c.p.guestPath(dirFD, target), c.p.grantOf(dirFD))
	}
	return one(errno)
}

// fsOpenWrites reports whether a path_open asks to create, truncate or write.
func fsOpenWrites(a []wasmtime.Val) bool {
	const (
		oflagCreat, oflagTrunc  = 1, 8
		rightFdWrite, rightSize = 1 << 6, 1 << 22 // fd_write, fd_filestat_set_size
		fdflagAppend            = 1
	)
	return a[4].I32()&(oflagCreat|oflagTrunc) != 0 || a[5].I64()&(rightFdWrite|rightSize) != 0 || a[7].I32()&fdflagAppend != 0
}

// symlinkTargetEscapes says why a guest's symlink target could point outside the directory
// the link is in, or "" when it only descends.
func symlinkTargetEscapes(target string) string {
	switch {
	case !utf8.ValidString(target) || strings.ContainsRune(target, 0):
		return "a symlink's target must be a valid path"
	case strings.HasPrefix(target, "/"):
		return "a symlink made by a module may not point to an absolute path"
	}
	for _, part := range strings.Split(target, "/") {
		if part == ".." {
			return "a symlink made by a module may not point up (..), only into its own directory"
		}
	}
	return ""
}

// guestPath names dir fd's path rel as the guest sees it: under its preopen for a preopened
// directory (fds 3, 4, ... in the order of SpawnOptions.Dirs), else "fd N:rel".
func (p *Process) guestPath(fd int32, rel string) string {
	if i := int(fd) - 3; i >= 0 && i < len(p.opts.Dirs) {
		return path.Join(p.opts.Dirs[i].Guest, rel)
	}
	return fmt.Sprintf("fd %d:%s", fd, rel)
}

// grantOf says which grant a refusal under dir fd met.
func (p *Process) grantOf(fd int32) string {
	i := int(fd) - 3
	if i < 0 || i >= len(p.opts.Dirs) {
		return "the directory is not writable through this descriptor"
	}
	d := p.opts.Dirs[i]
	if !d.ReadOnly {
		return fmt.Sprintf("%s is granted read-write; the host refused the operation", d.Guest)
	}
	if ns := p.k.Namespace(p.pid); ns != nil {
		for _, g := range ns.Preopens() {
			if g.Guest == d.Guest {
				return fmt.Sprintf("%s is granted read-only (policy %s); grant mode = \"rw\" to allow writes", d.Guest, g.Src)
			}
		}
	}
	return fmt.Sprintf("%s is granted read-only", d.Guest)
}

// fsRefused audits and logs one filesystem refusal, as checkDoor's denials are.
func (p *Process) fsRefused(op, object, rule string) {
	t := p.k.policy
	var pp *procPolicy
	if t != nil {
		pp = t.procs.load(p.pid)
	}
	n := int32(1)
	if pp != nil {
		n = pp.denials.Add(1)
		if t.store != nil && t.store.Audit() != nil {
			t.store.Audit().Record(policies.Record{PID: uint32(p.pid), Module: p.name, Op: policies.OpFS.String(), Object: op + " " + object, Rule: rule})
		}
	}
	switch {
	case n <= 3:
		p.k.cfg.Log(p.pid, p.name, 2, "denied: fs "+op+" "+object+": "+rule)
	case n == 4:
		p.k.cfg.Log(p.pid, p.name, 2, "further denials are recorded in the audit log only (orbital audit --module "+p.name+")")
	}
}
