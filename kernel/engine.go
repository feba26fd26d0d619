package kernel

import (
	"fmt"
	"runtime"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtimeVersion is the version of the wasmtime library linked in; it is part of the compile
// cache key because compiled code is only valid for the exact version that produced it.
const wasmtimeVersion = "39.0.1"

// engineSettings names every Config choice that changes compiled code. It is hashed into the
// compile cache key, so changing a setting here can never load code compiled under the old one.
const engineSettings = "epoch=1;fuel=0;opt=speed;strategy=cranelift;cow=0;memcreator=1"

// fuelEngineSettings describes fuelEngineConfig: the engine of metered processes (fuel.go).
// It differs from engineSettings, so the two engines' compiled code never share a cache key.
const fuelEngineSettings = "epoch=1;fuel=1;opt=speed;strategy=cranelift;cow=0;memcreator=1"

// engineConfig is the configuration of the kernel's main engine, on which every process
// without a fuel budget runs; engineSettings must describe it.
func engineConfig() *wasmtime.Config {
	c := wasmtime.NewConfig()
	c.SetEpochInterruption(true)
	c.SetConsumeFuel(false)
	c.SetCraneliftOptLevel(wasmtime.OptLevelSpeed)
	c.SetStrategy(wasmtime.StrategyCranelift)
	setMemoryCreator(c) // every linear memory charged to its process's budget (memlimit_cgo.go)
	return c
}

// fuelEngineConfig is engineConfig with fuel metering on; fuelEngineSettings must describe it.
func fuelEngineConfig() *wasmtime.Config {
	c := engineConfig()
	c.SetConsumeFuel(true)
	return c
}

// newLinker returns a store-independent linker for engine holding WASI preview 1, every
// `orbital` host function (with the kernel's WASI overrides) and the functions generated
// library adapters import (library_adapter.go).
func newLinker(engine *wasmtime.Engine) (*wasmtime.Linker, error) {
	l := wasmtime.NewLinker(engine)
	if err := l.DefineWasi(); err != nil {
		return nil, fmt.Errorf("kernel: define WASI: %w", err)
	}
	if err := defineHostFuncs(l); err != nil {
		return nil, fmt.Errorf("kernel: define host functions: %w", err)
	}
	if err := defineLinkFuncs(l); err != nil {
		return nil, fmt.Errorf("kernel: define library link functions: %w", err)
	}
	return l, nil
}

// cacheKeyInput is what the compile cache key of the main engine hashes besides the WASM bytes.
func cacheKeyInput() string { return cacheKeyInputFor(engineSettings) }

// cacheKeyInputFor is cacheKeyInput for the engine described by settings.
func cacheKeyInputFor(settings string) string {
	return "wasmtime=" + wasmtimeVersion + ";" + settings + ";arch=" + runtime.GOOS + "/" + runtime.GOARCH
}
