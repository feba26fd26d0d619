package kernel

import (
	"os"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

func newTestStore(k *Kernel) *wasmtime.Store { return wasmtime.NewStore(k.engine) }

// resum rewrites the .sum of the .cwasm at path so that its checksums match whatever the
// file now holds (as code, without images), keeping the module digest it names.
func resum(path, sumPath string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(sumPath)
	if err != nil {
		return err
	}
	old, err := parseEntrySum(raw)
	if err != nil {
		return err
	}
	return os.WriteFile(sumPath, newEntrySum(old.Digest, b, nil, [][]byte{b}).encode(), 0o644)
}
