package kernel

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Fuel metering. wasmtime counts fuel per engine: an engine with SetConsumeFuel compiles a
// counter update into every basic block of every module, which costs 20-60 % on tight loops,
// metered or not. So the kernel keeps two engines: the main one (no fuel) that every process
// runs on by default, and a fuel engine, built on the first spawn with Limits.Fuel > 0, with
// the same settings plus fuel (engine.go). A metered process runs on the fuel engine: its
// module and libraries are compiled for it on first need (through the same compile cache,
// under their own cache key), its store gets SetFuel(Limits.Fuel), and when the budget is
// spent wasmtime traps and the process ends as crashed with a reason naming the limit and who
// set it. Processes on the main engine never pay for it.

// engineSet is an engine with its shared linker and the settings naming its configuration
// (the compile cache key part).
type engineSet struct {
	engine   *wasmtime.Engine
	linker   *wasmtime.Linker
	settings string
}

// compiledCode is a module compiled for one engine, with its libraries compiled for the same engine.
type compiledCode struct {
	mod    *wasmtime.Module
	img    *memImages // the images of mod's memories (memimage.go), nil if none
	libs   []*libLink
	cached bool        // came from the compile cache
	pre    instancePre // mod's imports resolved against the engine's linker (fastpath_cgo.go)
}

// fuelVariant holds a Module's code for the fuel engine once built; mu serializes concurrent
// metered spawns of the module so it is compiled once.
type fuelVariant struct {
	mu   sync.Mutex
	code *compiledCode
}

// fuelEngine returns the fuel engine, building it (and its linker) on first use. The epoch
// ticker advances it from then on.
func (k *Kernel) fuelEngine() (*engineSet, error) {
	if e := k.fuel.Load(); e != nil {
		return e, nil
	}
	k.fuelMu.Lock()
	defer k.fuelMu.Unlock()
	if e := k.fuel.Load(); e != nil {
		return e, nil
	}
	engine := wasmtime.NewEngineWithConfig(fuelEngineConfig())
	linker, err := newLinker(engine)
	if err != nil {
		return nil, fmt.Errorf("fuel engine: %w", err)
	}
	e := &engineSet{engine: engine, linker: linker, settings: fuelEngineSettings}
	k.fuel.Store(e)
	return e, nil
}

// codeFor returns the engine and compiled code a process of m with the given fuel budget
// runs on: the main engine and m's own code when fuel is 0, else the fuel engine and m's
// fuel variant.
func (k *Kernel) codeFor(m *Module, fuel uint64) (*engineSet, *compiledCode, error) {
	if fuel == 0 {
		return k.plain, m.plain, nil
	}
	e, err := k.fuelEngine()
	if err != nil {
		return nil, nil, err
	}
	c, err := k.meteredCode(m, e)
	return e, c, err
}

// meteredCode compiles m and its libraries for the fuel engine e, once per Module.
func (k *Kernel) meteredCode(m *Module, e *engineSet) (*compiledCode, error) {
	v := m.fuel
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.code != nil {
		return v.code, nil
	}
	if sum := sha256.Sum256(m.wasm.b); hex.EncodeToString(sum[:]) != m.Digest {
		return nil, errors.New("the module's bytes changed after it was loaded; load it again")
	}
	src := newSource(m.wasm.b, fingerprintOf(m.wasm.b), m.Digest)
	mod, img, cached, err := k.cache.load(e.engine, e.settings, src, func(*wasmtime.Module) error {
		return nil // the same bytes passed the import check when the module was loaded
	})
	if err != nil {
		return nil, fmt.Errorf("compile for fuel metering: %s", oneLine(err.Error()))
	}
	c := &compiledCode{mod: mod, img: img, cached: cached}
	for _, link := range m.libs {
		lmod, limg, err := k.compileLibrary(e.engine, e.settings, link.lib)
		if err != nil {
			return nil, fmt.Errorf("library %s %s (%s): compile for fuel metering: %s", link.lib.Name, link.lib.Version, link.lib.Path, oneLine(err.Error()))
		}
		l := *link
		l.mod, l.img = lmod, limg
		if link.thunk != nil {
			if l.thunk, err = k.compileGlue(e.engine, e.settings, link.thunkWasm); err == nil {
				l.adapter, err = k.compileGlue(e.engine, e.settings, link.adapterWasm)
			}
			if err != nil {
				return nil, fmt.Errorf("library %s %s: compile its adapter for fuel metering: %s", link.lib.Name, link.lib.Version, oneLine(err.Error()))
			}
		}
		c.libs = append(c.libs, &l)
	}
	v.code = c
	return c, nil
}

// fuelSource says who set the process's fuel budget, for the out-of-fuel reason: the policy
// line that granted it, else the embedder (SpawnOptions or Config.Limits).
func (k *Kernel) fuelSource(pol *procPolicy, asked SpawnOptions, fuel uint64) string {
	if fuel == 0 {
		return ""
	}
	if ns := pol.nsOrNil(); ns != nil {
		if g := ns.Grants.Fuel; g.N > 0 && uint64(g.N) == fuel {
			return "policy " + g.Src.String()
		}
	}
	if asked.Limits.Fuel > 0 {
		return "SpawnOptions.Limits.Fuel"
	}
	return "Config.Limits.Fuel"
}

// startFuel gives a metered process's store its lifetime budget. Process thread only.
func (p *Process) startFuel() error {
	if p.opts.Limits.Fuel == 0 {
		return nil
	}
	if err := p.store.SetFuel(p.opts.Limits.Fuel); err != nil {
		return fmt.Errorf("%s: set fuel budget: %w", p.module.Path, err)
	}
	p.fuelSet = true
	return nil
}

// fuelUsed is how much of its budget a metered process has spent (0 if unmetered). Process
// thread only, while the store is open and not inside an epoch callback.
func (p *Process) fuelUsed() uint64 {
	budget := p.opts.Limits.Fuel
	if !p.fuelSet || p.store == nil {
		return 0
	}
	left, err := p.store.GetFuel()
	if err != nil || left > budget {
		return 0
	}
	return budget - left
}

// outOfFuel reports whether err ended a metered process because its fuel ran out.
func (p *Process) outOfFuel(err error, used uint64) bool {
	if err == nil || !p.fuelSet {
		return false
	}
	var trap *wasmtime.Trap
	if errors.As(err, &trap) {
		if c := trap.Code(); c != nil && *c == wasmtime.OutOfFuel {
			return true
		}
	}
	return used >= p.opts.Limits.Fuel
}

// fuelReason is the Info.Reason of a process that ran out of fuel: the budget, who set it and
// what to change.
func (p *Process) fuelReason() string {
	n := strconv.FormatUint(p.opts.Limits.Fuel, 10)
	if len(p.fuelSrc) > 7 && p.fuelSrc[:7] == "policy " {
		return "out of fuel: used its limits.fuel budget of " + n + " units (set by " + p.fuelSrc + "); raise limits.fuel there"
	}
	return "out of fuel: used its fuel budget of " + n + " units (set by the embedder in " + p.fuelSrc +
		", not by a policy); raise it there"
}
