package registry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

// tomlBomb is a module.toml (a 2 KB package once gzipped) nested far past any decoder's stack: before the guard,
// decoding it ended the process with "fatal error: stack overflow".
func tomlBomb(n int) []byte {
	return []byte("name = \"x\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = \"x.wasm\"\ntags = " +
		strings.Repeat("[", n) + strings.Repeat("]", n) + "\n")
}

// TestTOMLBombRefused: every TOML entry point of the registry refuses a deeply nested document
// with the file and line, before decoding it.
func TestTOMLBombRefused(t *testing.T) {
	bomb := tomlBomb(400_000) // under the size bound, so the nesting bound is what refuses it
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := write("config.toml", []byte("[registry]\nremotes = "+strings.Repeat("[", 100_000)+"\n"))
	trust := write("trusted.toml", []byte("keys = "+strings.Repeat("{a=", 100_000)+"\n"))
	wasm := buildWasm(nil, nil, true)
	pkg := tarGz(t, reg(ManifestFile, bomb), reg("x.wasm", wasm))
	for _, tt := range []struct {
		name, want string
		err        func() error
	}{
		{"manifest", "bomb.toml:5: ", func() error { _, err := ParseManifest(bomb, "bomb.toml"); return err }},
		{"package", "p.tar.gz/module.toml:5: ", func() error { _, err := LoadPackage(pkg, "p.tar.gz"); return err }},
		{"config", cfg + ":2: ", func() error { _, err := LoadConfig(cfg); return err }},
		{"trust", trust + ":1: ", func() error { _, err := LoadTrust(trust); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !strings.Contains(err.Error(), "nested more than 16 deep") {
				t.Fatalf("want %q... nested more than 16 deep, got %v", tt.want, err)
			}
		})
	}
	if _, err := ParseManifest(bomb, "m"); !errors.Is(err, ErrBadManifest) {
		t.Fatalf("a refused manifest is ErrBadManifest: %v", err)
	}
}

// TestInstallRefusesCompileBomb: a module past the compile limits (a million empty functions
// in 4 MB) is refused at install, naming the count and the limit.
func TestInstallRefusesCompileBomb(t *testing.T) {
	r := newReg(t)
	p := filepath.Join(t.TempDir(), "bomb.wasm")
	writeFile(t, p, testenv.EmptyFuncs(999_000))
	_, err := r.Install(t.Context(), p, InstallOptions{})
	if !errors.Is(err, ErrWasmLimit) || !strings.Contains(err.Error(), "999000 functions, over the limit of 50000") {
		t.Fatalf("install: %v", err)
	}
}
