package registry

import "testing"

// A tag import (exception handling) carries an attribute byte before its type index; a
// reader that skips only the index misreads every import after it.
func TestReadWasmInfoTagImport(t *testing.T) {
	str := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	var imports []byte
	imports = append(imports, 2) // two imports
	imports = append(append(append(imports, str("env")...), str("oops")...), 4, 0, 0)
	imports = append(append(append(imports, str("orbital")...), str("surface_create")...), 0, 0)
	wasm := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	wasm = append(wasm, 1, 4, 1, 0x60, 0, 0) // one type: () -> ()
	wasm = append(append(wasm, 2, byte(len(imports))), imports...)
	info, err := ReadWasmInfo(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if !info.HasImport("orbital", "surface_create") || info.HasImport("env", "oops") {
		t.Fatalf("imports %+v: want the function import only", info.Imports)
	}
}
