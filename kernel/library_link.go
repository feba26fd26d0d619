package kernel

import (
	"errors"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// libInstance is one process's instance of a library, with the thunk of its buffer functions.
type libInstance struct {
	inst, thunk *wasmtime.Instance
}

// instantiateLinked instantiates the process's module with its libraries, all in its store:
// each library (and its _initialize), the thunks, the module itself with every library import
// bound to a library export (or a thunk export for buffer functions) and every other import
// taken from the kernel's linker, then the adapters, which fill the thunks' tables.
func (p *Process) instantiateLinked() (*wasmtime.Instance, error) {
	libs := make([]libInstance, len(p.code.libs))
	for i, link := range p.code.libs {
		li, err := p.instantiateLibrary(link)
		if err != nil {
			return nil, &ModuleError{File: p.module.Path, Msg: fmt.Sprintf("library %s %s: %v", link.lib.Name, link.lib.Version, oneLine(err.Error())), Err: errors.Join(ErrLibrary, err)}
		}
		libs[i] = li
	}
	imports := make([]wasmtime.AsExtern, len(p.module.imports))
	for i, slot := range p.module.imports {
		var ex *wasmtime.Extern
		switch {
		case slot.link < 0:
			ex = p.eng.linker.Get(p.store, slot.module, slot.name)
		case slot.buffer:
			ex = libs[slot.link].thunk.GetExport(p.store, slot.name)
		default:
			ex = libs[slot.link].inst.GetExport(p.store, slot.name)
		}
		if ex == nil {
			return nil, &ModuleError{File: p.module.Path, Msg: fmt.Sprintf("cannot instantiate: import %s.%s is not defined", slot.module, slot.name)}
		}
		imports[i] = ex
	}
	inst, err := instantiateImaged(p.code.img, func() (*wasmtime.Instance, error) { return wasmtime.NewInstance(p.store, p.code.mod, imports) })
	if err != nil {
		return nil, &ModuleError{File: p.module.Path, Msg: "cannot instantiate: " + oneLine(err.Error()), Err: err}
	}
	for i, link := range p.code.libs {
		if link.adapter == nil {
			continue
		}
		if err := p.instantiateAdapter(link, libs[i], inst); err != nil {
			return nil, &ModuleError{File: p.module.Path, Msg: fmt.Sprintf("library %s %s: adapter: %v", link.lib.Name, link.lib.Version, oneLine(err.Error())), Err: errors.Join(ErrLibrary, err)}
		}
	}
	return inst, nil
}

// instantiateLibrary creates this process's instance of a library (a library imports only the
// host's functions), runs its _initialize, and creates its thunk.
func (p *Process) instantiateLibrary(link *libLink) (libInstance, error) {
	var li libInstance
	inst, err := instantiateImaged(link.img, func() (*wasmtime.Instance, error) { return p.eng.linker.Instantiate(p.store, link.mod) })
	if err != nil {
		return li, err
	}
	if init := inst.GetFunc(p.store, "_initialize"); init != nil {
		if _, err := init.Call(p.store); err != nil {
			return li, fmt.Errorf("_initialize: %w", err)
		}
	}
	li.inst = inst
	if link.thunk != nil {
		if li.thunk, err = wasmtime.NewInstance(p.store, link.thunk, nil); err != nil {
			return li, fmt.Errorf("thunk: %w", err)
		}
	}
	return li, nil
}

// instantiateAdapter links link's adapter to the caller's memory and the library, in the order
// genAdapter declares its imports; its element segment fills the thunk's table.
func (p *Process) instantiateAdapter(link *libLink, li libInstance, caller *wasmtime.Instance) error {
	type export struct {
		inst *wasmtime.Instance
		name string
	}
	want := []export{{caller, "memory"}, {li.inst, "memory"}, {li.inst, "orbital_alloc"}}
	if link.free {
		want = append(want, export{li.inst, "orbital_free"})
	}
	for _, i := range link.bufferFuncs() {
		want = append(want, export{li.inst, link.funcs[i].name})
	}
	want = append(want, export{li.thunk, "table"})
	imports := make([]wasmtime.AsExtern, 0, len(want)+1)
	for _, w := range want {
		ex := w.inst.GetExport(p.store, w.name)
		if ex == nil {
			return fmt.Errorf("no export %q", w.name)
		}
		imports = append(imports, ex)
	}
	fault := p.eng.linker.Get(p.store, linkModule, "fault")
	if fault == nil {
		return errors.New("the kernel's linker has no " + linkModule + ".fault")
	}
	imports = append(imports, fault)
	_, err := wasmtime.NewInstance(p.store, link.adapter, imports)
	return err
}
