package kernel

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtimeVersion is the version of the wasmtime library linked in; it is part of the compile
// cache key because compiled code is only valid for the exact version that produced it.
const wasmtimeVersion = "39.0.1"

// engineOption is one choice in the configuration of the kernel's engines: how it is applied
// and how it is named in the compile cache key. Compiled code is valid only for the
// configuration that produced it, so every choice that changes code, and every rule that
// changes what is compiled, is a row here: configuring an engine and naming it read the same
// rows, and a changed or added row changes the key (cache_test.go checks each row's part).
type engineOption struct {
	name  string // "key=value"
	apply func(*wasmtime.Config)
}

// engineOptions are the rows of the main engine (fuel false) or of the fuel engine (fuel.go).
func engineOptions(fuel bool) []engineOption {
	return []engineOption{
		{"epoch=1", func(c *wasmtime.Config) { c.SetEpochInterruption(true) }},
		{map[bool]string{false: "fuel=0", true: "fuel=1"}[fuel], func(c *wasmtime.Config) { c.SetConsumeFuel(fuel) }},
		{"opt=speed", func(c *wasmtime.Config) { c.SetCraneliftOptLevel(wasmtime.OptLevelSpeed) }},
		{"strategy=cranelift", func(c *wasmtime.Config) { c.SetStrategy(wasmtime.StrategyCranelift) }},
		// Every linear memory charged to its process's budget (memlimit_cgo.go); wasmtime's own
		// copy-on-write images map only into its own memories, so they are off, and the
		// kernel's images (memimage.go) take their place.
		{"memcreator=1", setMemoryCreator},
		{"cow=0", func(c *wasmtime.Config) { setMemoryInitCOW(c, false) }},
		{memImageRule, nil}, // modules are compiled without the data their images hold
		// No .eh_frame: only native unwinders read it (cache_lean.go).
		{"unwind=0", func(c *wasmtime.Config) { c.SetNativeUnwindInfo(false) }},
		{leanRule, nil}, // the disk cache stores the code without what only describes it
	}
}

// engineSettingsFor names the configuration of the main (fuel false) or fuel engine: it is
// hashed into the compile cache key.
func engineSettingsFor(fuel bool) string {
	var names []string
	for _, o := range engineOptions(fuel) {
		names = append(names, o.name)
	}
	return strings.Join(names, ";")
}

// engineConfigFor is the configuration engineSettingsFor(fuel) names.
func engineConfigFor(fuel bool) *wasmtime.Config {
	c := wasmtime.NewConfig()
	for _, o := range engineOptions(fuel) {
		if o.apply != nil {
			o.apply(c)
		}
	}
	return c
}

// The main engine, on which every process without a fuel budget runs, and the fuel engine
// of metered processes (fuel.go); their settings differ, so their code never shares a key.
var (
	engineSettings     = engineSettingsFor(false)
	fuelEngineSettings = engineSettingsFor(true)
)

func engineConfig() *wasmtime.Config     { return engineConfigFor(false) }
func fuelEngineConfig() *wasmtime.Config { return engineConfigFor(true) }

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
