package registry

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// JavaScript entries. A package whose entry is a .js file is a script: it is installed and
// verified like any module (digest, signature, trust), but its entry is UTF-8 text that the
// JavaScript engine module runs (docs/design/javascript.md), not WASM. Only apps may be
// scripts.

// MaxScript is the largest script accepted as an entry (or by `orbital run app.js`).
const MaxScript = 4 << 20

// IsScript reports whether file names a JavaScript file (.js, any case).
func IsScript(file string) bool { return strings.EqualFold(filepath.Ext(file), ".js") }

// CheckScript refuses what cannot be a script: over MaxScript, not UTF-8 text, holding NUL
// bytes, or a WASM module under a .js name. file names it in the error.
func CheckScript(file string, src []byte) error {
	switch {
	case len(src) > MaxScript:
		return fmt.Errorf("%s: %w: a script of %d bytes is over the %d MiB limit", file, ErrNotModule, len(src), MaxScript>>20)
	case bytes.HasPrefix(src, wasmMagic):
		return fmt.Errorf("%s: %w: a WebAssembly module named .js; name it .wasm", file, ErrNotModule)
	case bytes.IndexByte(src, 0) >= 0 || !utf8.Valid(src):
		return fmt.Errorf("%s: %w: a script must be UTF-8 text", file, ErrNotModule)
	}
	return nil
}

// checkEntry checks a package's entry for its manifest: a script, a WASM module, or (for a
// driver) a native executable, which is not read here.
func checkEntry(m *Manifest, file string, entry []byte) error {
	switch {
	case m.Kind == KindDriver:
		return nil
	case IsScript(m.Entry):
		return CheckScript(file, entry)
	}
	_, err := ReadWasmInfo(entry)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// DefaultScriptManifest derives a manifest for a bare script, as DefaultManifest does for a
// bare .wasm: named after the file, version 0.0.0, an app.
func DefaultScriptManifest(fileName string, src []byte) (*Manifest, error) {
	if err := CheckScript(fileName, src); err != nil {
		return nil, err
	}
	name := derivedName(fileName)
	m := &Manifest{Name: name, Version: "0.0.0", Kind: KindApp, Entry: name + ".js", EntryDigest: Digest(src)}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: derived manifest: %w", fileName, err)
	}
	return m, nil
}

// entryExt is the extension of a record's installed entry file: NAME.js for a script.
func (rec *Record) entryExt() string {
	if rec.Script {
		return ".js"
	}
	return ".wasm"
}
