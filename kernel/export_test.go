package kernel

import (
	"os"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

func newTestStore(k *Kernel) *wasmtime.Store { return wasmtime.NewStore(k.engine) }

func fileSum(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return cacheSum(b), nil
}
