package kernel

import (
	"fmt"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// The buffer convention without the host in the middle. A library function whose first two
// parameters are (ptr, len) naming a buffer in the caller's memory needs a copy into the
// library's memory before the call and back after it. Two small modules generated per library
// link do that in WASM, in the process's store:
//
//   - the thunk exports one function per buffer function, each a call_indirect through a
//     table the thunk owns. The caller imports these, so it can be instantiated before the
//     code that needs its memory exists.
//   - the adapter, instantiated once the caller is, imports the caller's memory and the
//     library's (multi-memory), the library's functions, orbital_alloc and orbital_free, and
//     the thunk's table, which its element segment fills with its own functions. Each checks
//     the caller's (ptr, len) against the caller's memory, copies the bytes into a scratch
//     buffer in the library (allocated with orbital_alloc on first use and reallocated only
//     when a call needs more), calls the library function with the scratch pointer, copies
//     the bytes back and returns the results.
//
// A call is caller -> thunk -> adapter -> library: three WASM calls and two memory.copy, no
// host call and no allocation. A bad buffer or a bad orbital_alloc result calls the host's
// linkFault, which traps with a message naming the library and function.

// linkModule is the import module of the host functions only generated adapters use. A guest
// cannot import it: checkImports treats it as a library name, and no library has a colon in
// its name.
const linkModule = "orbital:link"

// Kinds of linkFault.
const (
	faultBuffer = 0 // the caller's (ptr, len) is outside its memory
	faultAlloc  = 1 // orbital_alloc returned a pointer outside the library's memory
)

// watType is the text-format name of a value type, or ok=false for one the adapter cannot pass.
func watType(k wasmtime.ValKind) (string, bool) {
	switch k {
	case wasmtime.KindI32:
		return "i32", true
	case wasmtime.KindI64:
		return "i64", true
	case wasmtime.KindF32:
		return "f32", true
	case wasmtime.KindF64:
		return "f64", true
	case wasmtime.KindFuncref:
		return "funcref", true
	case wasmtime.KindExternref:
		return "externref", true
	}
	return "", false
}

// watFuncType is "(param ...) (result ...)" for ty.
func watFuncType(ty *wasmtime.FuncType) (string, error) {
	var b strings.Builder
	for _, part := range []struct {
		word  string
		kinds []wasmtime.ValKind
	}{{"param", valKinds(ty.Params())}, {"result", valKinds(ty.Results())}} {
		if len(part.kinds) == 0 {
			continue
		}
		b.WriteString(" (" + part.word)
		for _, k := range part.kinds {
			s, ok := watType(k)
			if !ok {
				return "", fmt.Errorf("a value of kind %d cannot be passed through the buffer convention", k)
			}
			b.WriteString(" " + s)
		}
		b.WriteString(")")
	}
	return b.String(), nil
}

// bufferFuncs are the indexes (in link.funcs) of the functions taking a buffer.
func (link *libLink) bufferFuncs() []int {
	var out []int
	for i, f := range link.funcs {
		if f.buffer {
			out = append(out, i)
		}
	}
	return out
}

// writeTypes opens a module and declares $tj, the type of the j-th buffer function.
func writeTypes(b *strings.Builder, link *libLink, bf []int) error {
	b.WriteString("(module\n")
	for j, i := range bf {
		sig, err := watFuncType(link.funcs[i].ty)
		if err != nil {
			return fmt.Errorf("%s: %w", link.funcs[i].name, err)
		}
		fmt.Fprintf(b, "  (type $t%d (func%s))\n", j, sig)
	}
	return nil
}

// genThunk returns the thunk module of link's buffer functions.
func genThunk(link *libLink) (string, error) {
	bf := link.bufferFuncs()
	var b strings.Builder
	if err := writeTypes(&b, link, bf); err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "  (table $tab (export \"table\") %d funcref)\n", len(bf))
	for j, i := range bf {
		f := link.funcs[i]
		fmt.Fprintf(&b, "  (func (export %q) (type $t%d)\n    (call_indirect $tab (type $t%d)", f.name, j, j)
		for p := range f.ty.Params() {
			fmt.Fprintf(&b, " (local.get %d)", p)
		}
		fmt.Fprintf(&b, " (i32.const %d)))\n", j)
	}
	b.WriteString(")\n")
	return b.String(), nil
}

// genAdapter returns the adapter module of link, the li-th library of its importer. Its
// imports are, in order: caller.memory, lib.memory, lib.orbital_alloc, lib.orbital_free (when
// link.free), lib.<each buffer function>, thunk.table, orbital:link.fault (adapterImports
// supplies them in that order).
func genAdapter(link *libLink, li int) (string, error) {
	bf := link.bufferFuncs()
	var b strings.Builder
	if err := writeTypes(&b, link, bf); err != nil {
		return "", err
	}
	b.WriteString(`  (import "caller" "memory" (memory $cm 0))
  (import "lib" "memory" (memory $lm 0))
  (import "lib" "orbital_alloc" (func $alloc (param i32) (result i32)))
`)
	if link.free {
		b.WriteString("  (import \"lib\" \"orbital_free\" (func $free (param i32)))\n")
	}
	for j, i := range bf {
		fmt.Fprintf(&b, "  (import \"lib\" %q (func $f%d (type $t%d)))\n", link.funcs[i].name, j, j)
	}
	fmt.Fprintf(&b, `  (import "thunk" "table" (table $tab %d funcref))
  (import %q "fault" (func $fault (param i32 i32 i32 i32 i32)))
  (global $buf (mut i32) (i32.const 0))
  (global $cap (mut i32) (i32.const 0))
  (elem (table $tab) (i32.const 0) func`, len(bf), linkModule)
	for j := range bf {
		fmt.Fprintf(&b, " $a%d", j)
	}
	b.WriteString(")\n")
	writeScratch(&b, link.free, li)
	for j, i := range bf {
		writeAdapterFunc(&b, link.funcs[i], j, i, li)
	}
	b.WriteString(")\n")
	return b.String(), nil
}

// writeScratch writes $scratch(n, fn) -> ptr: the scratch buffer, reallocated (the old one
// freed first) when it holds fewer than n bytes. A pointer from orbital_alloc that is not
// positive or whose n bytes are not all inside the library's memory is a fault.
func writeScratch(b *strings.Builder, free bool, li int) {
	freeOld := ""
	if free {
		freeOld = "\n      (if (global.get $cap) (then (call $free (global.get $buf))))"
	}
	fmt.Fprintf(b, `  (func $scratch (param $n i32) (param $fn i32) (result i32) (local $p i32)
    (if (i32.gt_u (local.get $n) (global.get $cap)) (then%s
      (global.set $buf (i32.const 0))
      (global.set $cap (i32.const 0))
      (local.set $p (call $alloc (local.get $n)))
      (if (i32.or (i32.le_s (local.get $p) (i32.const 0))
                  (i64.gt_u (i64.add (i64.extend_i32_u (local.get $p)) (i64.extend_i32_u (local.get $n)))
                            (i64.shl (i64.extend_i32_u (memory.size $lm)) (i64.const 16))))
        (then (call $fault (i32.const %d) (i32.const %d) (local.get $fn) (local.get $n) (local.get $p)) (unreachable)))
      (global.set $buf (local.get $p))
      (global.set $cap (local.get $n))))
    (global.get $buf))
`, freeOld, faultAlloc, li)
}

// writeAdapterFunc writes $aj, the adapter of buffer function f (index fi in link.funcs).
func writeAdapterFunc(b *strings.Builder, f libFunc, j, fi, li int) {
	params, results := valKinds(f.ty.Params()), valKinds(f.ty.Results())
	fmt.Fprintf(b, "  (func $a%d (type $t%d) (local $l i32)", j, j)
	for _, k := range results {
		s, _ := watType(k)
		b.WriteString(" (local " + s + ")")
	}
	// Locals: the params (0..len-1), $l, then one per result.
	fmt.Fprintf(b, `
    (if (i32.or (i32.or (i32.lt_s (local.get 0) (i32.const 0)) (i32.lt_s (local.get 1) (i32.const 0)))
                (i64.gt_u (i64.add (i64.extend_i32_u (local.get 0)) (i64.extend_i32_u (local.get 1)))
                          (i64.shl (i64.extend_i32_u (memory.size $cm)) (i64.const 16))))
      (then (call $fault (i32.const %d) (i32.const %d) (i32.const %d) (local.get 0) (local.get 1)) (unreachable)))
    (local.set $l (call $scratch (local.get 1) (i32.const %d)))
    (if (local.get 1) (then (memory.copy $lm $cm (local.get $l) (local.get 0) (local.get 1))))
    (call $f%d (local.get $l)`, faultBuffer, li, fi, fi, j)
	for p := 1; p < len(params); p++ {
		fmt.Fprintf(b, " (local.get %d)", p)
	}
	b.WriteString(")\n")
	first := len(params) + 1 // the first result local
	for r := len(results) - 1; r >= 0; r-- {
		fmt.Fprintf(b, "    (local.set %d)\n", first+r)
	}
	b.WriteString("    (if (local.get 1) (then (memory.copy $cm $lm (local.get 0) (local.get $l) (local.get 1))))\n   ")
	for r := range results {
		fmt.Fprintf(b, " (local.get %d)", first+r)
	}
	b.WriteString(")\n")
}

// linkFault is orbital:link.fault(kind, link, fn, a, b): the trap an adapter raises for a bad
// buffer (a, b = ptr, len) or a bad orbital_alloc result (a, b = len, ptr).
func linkFault(caller *wasmtime.Caller, args []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
	kind, li, fi, a, b := args[0].I32(), args[1].I32(), args[2].I32(), args[3].I32(), args[4].I32()
	lib, fn := "library", "function"
	if p, _ := caller.Data().(*Process); p != nil && p.code != nil && int(li) < len(p.code.libs) {
		link := p.code.libs[li]
		lib = link.lib.Name
		if int(fi) < len(link.funcs) {
			fn = link.funcs[fi].name
		}
	}
	if kind == faultAlloc {
		return nil, wasmtime.NewTrap(fmt.Sprintf("orbital: %s.orbital_alloc(%d) returned %d, outside its memory", lib, a, b))
	}
	return nil, wasmtime.NewTrap(fmt.Sprintf("orbital: %s.%s: buffer [%d, +%d) is outside the caller's memory", lib, fn, a, b))
}

// defineLinkFuncs defines linkModule's functions in a kernel linker.
func defineLinkFuncs(l *wasmtime.Linker) error {
	i32t := func() *wasmtime.ValType { return wasmtime.NewValType(wasmtime.KindI32) }
	ty := wasmtime.NewFuncType([]*wasmtime.ValType{i32t(), i32t(), i32t(), i32t(), i32t()}, nil)
	return l.FuncNew(linkModule, "fault", ty, linkFault)
}
