package registry

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallScriptPackage(t *testing.T) {
	r := newReg(t)
	dir := t.TempDir()
	src := []byte("const w = orbital.openWindow(10, 10, 'é')\n")
	writeFile(t, filepath.Join(dir, "app.js"), src)
	writeFile(t, filepath.Join(dir, "logo.txt"), []byte("extra"))
	writeFile(t, filepath.Join(dir, ManifestFile), []byte(`name = "jsapp"
version = "1.2.0"
kind = "app"
entry = "app.js"
`))
	res := install(t, r, dir, InstallOptions{})
	rec := res[0].Record
	if !rec.Script || rec.EntryDigest != Digest(src) || filepath.Base(r.EntryPath(rec)) != "jsapp.js" {
		t.Fatalf("record %+v, entry at %s", rec, r.EntryPath(rec))
	}
	got, err := r.Resolve(context.Background(), "jsapp@^1", InstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.WASM, src) || got.Path != r.EntryPath(rec) || !got.Record.Script {
		t.Fatalf("resolved %q from %s", got.WASM, got.Path)
	}
	// Through a package archive, as a URL or a publish would carry it.
	pkg, err := PackDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pkg.Archive()
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadPackage(b, "jsapp.tar.gz")
	if err != nil || again.Manifest.EntryDigest != Digest(src) {
		t.Fatalf("archive round trip: %v", err)
	}
}

func TestInstallBareScript(t *testing.T) {
	r := newReg(t)
	p := filepath.Join(t.TempDir(), "Hello World.js")
	writeFile(t, p, []byte("console.log('hi')"))
	res := install(t, r, p, InstallOptions{})
	rec := res[0].Record
	if rec.Name != "hello-world" || rec.Version != "0.0.0" || rec.Kind != KindApp || !rec.Script || !rec.Derived {
		t.Fatalf("record %+v", rec)
	}
	if b, err := os.ReadFile(r.EntryPath(rec)); err != nil || string(b) != "console.log('hi')" {
		t.Fatalf("entry: %q %v", b, err)
	}
}

func TestBadScripts(t *testing.T) {
	wasm := buildWasm(nil, nil, true)
	for _, tc := range []struct {
		name string
		src  []byte
		want string
	}{
		{"nul", []byte("a\x00b"), "UTF-8 text"},
		{"latin1", []byte("caf\xe9"), "UTF-8 text"},
		{"huge", bytes.Repeat([]byte("x"), MaxScript+1), "over the 4 MiB limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadPackage(tc.src, tc.name+".js")
			if !errors.Is(err, ErrNotModule) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrNotModule saying %q", err, tc.want)
			}
		})
	}
	// A bare .wasm is told by its content, whatever its name; as a package's .js entry it is
	// refused.
	if err := CheckScript("app.js", wasm); !errors.Is(err, ErrNotModule) || !strings.Contains(err.Error(), "name it .wasm") {
		t.Fatalf("a WASM module as a script: %v", err)
	}
	m := &Manifest{Name: "lib", Version: "1.0.0", Kind: KindLibrary, Entry: "lib.js"}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "runs as an app") {
		t.Fatalf("a library with a script entry: %v", err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app.js"), []byte("\xff"))
	writeFile(t, filepath.Join(dir, ManifestFile), []byte("name = \"x\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = \"app.js\"\n"))
	if _, err := PackDir(dir); !errors.Is(err, ErrNotModule) {
		t.Fatalf("packing a bad script: %v", err)
	}
}
