package kernel

import (
	"runtime"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtimeVersion is the version of the wasmtime library linked in; it is part of the compile
// cache key because compiled code is only valid for the exact version that produced it.
const wasmtimeVersion = "39.0.1"

// engineSettings names every Config choice that changes compiled code. It is hashed into the
// compile cache key, so changing a setting here can never load code compiled under the old one.
const engineSettings = "epoch=1;fuel=0;opt=speed;strategy=cranelift"

// engineConfig is the one engine configuration of the kernel; engineSettings must describe it.
func engineConfig() *wasmtime.Config {
	c := wasmtime.NewConfig()
	c.SetEpochInterruption(true)
	c.SetConsumeFuel(false)
	c.SetCraneliftOptLevel(wasmtime.OptLevelSpeed)
	c.SetStrategy(wasmtime.StrategyCranelift)
	return c
}

// cacheKeyInput is what the compile cache key hashes besides the WASM bytes.
func cacheKeyInput() string {
	return "wasmtime=" + wasmtimeVersion + ";" + engineSettings + ";arch=" + runtime.GOOS + "/" + runtime.GOARCH
}
