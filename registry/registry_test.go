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

func TestInstallBareWasmAndResolve(t *testing.T) {
	r := newReg(t)
	dir := t.TempDir()
	lib := buildWasm(nil, []string{"blur", "invert"}, false)
	app := buildWasm([]WasmImport{{"imagefx", "blur"}, {"orbital", "log"}}, nil, true)
	writeFile(t, filepath.Join(dir, "imagefx.wasm"), lib)
	writeFile(t, filepath.Join(dir, "Blur View.wasm"), app)
	res := install(t, r, dir, InstallOptions{})
	if len(res) != 2 || res[0].Record.Name != "imagefx" || res[1].Record.Name != "blur-view" {
		t.Fatalf("installed %+v (want imagefx first: blur-view imports it)", res)
	}
	got, err := r.Resolve(context.Background(), "orbital://blur-view", InstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.WASM, app) || got.Manifest.Kind != KindApp || got.Manifest.Dependencies["imagefx"] != "*" {
		t.Fatalf("resolved %+v", got.Manifest)
	}
	l, err := r.LoadLibrary("imagefx", "*")
	if err != nil || l.Manifest.Kind != KindLibrary || strings.Join(l.Manifest.Exports, ",") != "blur,invert" {
		t.Fatalf("library: %v %+v", err, l)
	}
	// Installing again is a no-op.
	res = install(t, r, filepath.Join(dir, "imagefx.wasm"), InstallOptions{})
	if !res[0].Already {
		t.Fatal("second install of the same file is not reported as already installed")
	}
}

func TestInstallLoadDetectsTamperedBlob(t *testing.T) {
	r := newReg(t)
	p := writePkg(t, makePkg(t, "tamper", "1.0.0", KindApp, nil, nil))
	res := install(t, r, p, InstallOptions{})
	blob := r.EntryPath(res[0].Record)
	b, _ := os.ReadFile(blob)
	b[len(b)-1] ^= 0xff
	os.WriteFile(blob, b, 0o644)
	_, err := r.Resolve(context.Background(), "tamper", InstallOptions{})
	if !errors.Is(err, ErrDigest) {
		t.Fatalf("load of a tampered blob: %v, want ErrDigest", err)
	}
	// Installing the package again repairs it.
	if res := install(t, r, p, InstallOptions{}); res[0].Already {
		t.Fatal("a damaged install counted as already installed")
	}
	if _, err := r.Resolve(context.Background(), "tamper", InstallOptions{}); err != nil {
		t.Fatalf("after repair: %v", err)
	}
}

func TestVersionsDowngradeConflict(t *testing.T) {
	r := newReg(t)
	install(t, r, writePkg(t, makePkg(t, "lib", "1.2.0", KindLibrary, nil, nil)), InstallOptions{})
	install(t, r, writePkg(t, makePkg(t, "lib", "2.0.0", KindLibrary, nil, nil)), InstallOptions{})
	old := writePkg(t, makePkg(t, "lib", "1.5.0", KindLibrary, nil, nil))
	_, err := r.Install(context.Background(), old, InstallOptions{})
	if !errors.Is(err, ErrDowngrade) || !strings.Contains(err.Error(), "--allow-downgrade") {
		t.Fatalf("downgrade: %v", err)
	}
	install(t, r, old, InstallOptions{AllowDowngrade: true})
	other := writePkg(t, makePkg(t, "lib", "2.0.0", KindLibrary, nil, func(m *Manifest) { m.Description = "changed" }))
	if _, err := r.Install(context.Background(), other, InstallOptions{}); !errors.Is(err, ErrConflict) {
		t.Fatalf("same version, other content: %v", err)
	}
	install(t, r, other, InstallOptions{Replace: true})
	if got, err := r.Resolve(context.Background(), "lib@2.0.0", InstallOptions{}); err != nil || got.Manifest.Description != "changed" {
		t.Fatalf("after --replace: %v %+v", err, got)
	}
	for rng, want := range map[string]string{"^1": "1.5.0", "*": "2.0.0", "~1.2": "1.2.0", ">=2": "2.0.0"} {
		rec, err := r.Best("lib", rng)
		if err != nil || rec.Version != want {
			t.Errorf("Best(lib, %s) = %v, %v; want %s", rng, rec, err, want)
		}
	}
	if _, err := r.Best("lib", "^3"); !errors.Is(err, ErrNotSatisfied) || !strings.Contains(err.Error(), "installed: 2.0.0, 1.5.0, 1.2.0") {
		t.Fatalf("unsatisfiable: %v", err)
	}
}

func TestDependencies(t *testing.T) {
	r := newReg(t)
	app := writePkg(t, makePkg(t, "app", "1.0.0", KindApp, map[string]string{"fx": "^1.0"}, nil))
	_, err := r.Install(context.Background(), app, InstallOptions{})
	if err == nil || !strings.Contains(err.Error(), "needs library fx ^1.0") {
		t.Fatalf("missing dep: %v", err)
	}
	if recs, _ := r.List(""); len(recs) != 0 {
		t.Fatalf("something was installed after a failed install: %v", recs)
	}
	install(t, r, writePkg(t, makePkg(t, "fx", "0.9.0", KindLibrary, nil, nil)), InstallOptions{})
	if _, err := r.Install(context.Background(), app, InstallOptions{}); !errors.Is(err, ErrNotSatisfied) {
		t.Fatalf("unsatisfiable range: %v", err)
	}
	install(t, r, writePkg(t, makePkg(t, "fx", "1.1.0", KindLibrary, nil, nil)), InstallOptions{})
	install(t, r, app, InstallOptions{})
	// rm of a needed library is refused.
	if _, err := r.Remove("fx", "1.1.0", false); !errors.Is(err, ErrInUse) {
		t.Fatalf("rm needed lib: %v", err)
	}
	if _, err := r.Remove("fx", "0.9.0", false); err != nil {
		t.Fatalf("rm unneeded version: %v", err)
	}
	// A cycle: fx 1.2 depends on app... which depends on fx.
	cyc := writePkg(t, makePkg(t, "fx", "1.2.0", KindLibrary, map[string]string{"app": "*"}, nil))
	if _, err := r.Install(context.Background(), cyc, InstallOptions{}); !errors.Is(err, ErrCycle) {
		t.Fatalf("cycle: %v", err)
	}
	if rec, _ := r.Best("fx", "*"); rec.Version != "1.1.0" {
		t.Fatalf("after refused cycle fx is %s", rec.Version)
	}
}

func TestSignatures(t *testing.T) {
	key := testKey(t)
	pkg := makePkg(t, "signed", "1.0.0", KindApp, nil, nil)
	if err := Sign(pkg.Manifest, key); err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(pkg.Manifest); err != nil {
		t.Fatal(err)
	}
	r := newReg(t)
	// Local install of a signed package: accepted.
	install(t, r, writePkg(t, pkg), InstallOptions{})

	// Tamper with the manifest after signing: refused.
	bad := *pkg.Manifest
	bad.Version = "1.0.1"
	if err := VerifySignature(&bad); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("altered manifest: %v", err)
	}
	badPkg := &Package{Manifest: &bad, Entry: pkg.Entry}
	if _, err := r.Install(context.Background(), writePkg(t, badPkg), InstallOptions{}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("install altered: %v", err)
	}
	// Tamper with the code: the digest check catches it.
	code := append([]byte(nil), pkg.Entry...)
	code[len(code)-2] ^= 1
	if _, err := r.Install(context.Background(), writePkg(t, &Package{Manifest: pkg.Manifest, Entry: code}), InstallOptions{}); !errors.Is(err, ErrDigest) {
		t.Fatalf("install tampered code: %v", err)
	}
	// Remote origin rules.
	unsigned := makePkg(t, "u", "1.0.0", KindApp, nil, nil)
	if err := r.checkTrust(unsigned.Manifest, origin{Remote: true}, &InstallOptions{}); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("remote unsigned: %v", err)
	}
	if err := r.checkTrust(unsigned.Manifest, origin{Remote: true}, &InstallOptions{AllowUnsigned: true}); err != nil {
		t.Fatal(err)
	}
	if err := r.checkTrust(pkg.Manifest, origin{Remote: true}, &InstallOptions{}); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("remote untrusted: %v", err)
	}
	tr, _ := LoadTrust(r.TrustPath())
	if err := tr.Add(pkg.Manifest.Publisher); err != nil {
		t.Fatal(err)
	}
	if err := r.checkTrust(pkg.Manifest, origin{Remote: true}, &InstallOptions{}); err != nil {
		t.Fatalf("trusted: %v", err)
	}
}

func TestSearchRanking(t *testing.T) {
	r := newReg(t)
	install(t, r, writePkg(t, makePkg(t, "imagefx", "1.0.0", KindLibrary, nil, func(m *Manifest) {
		m.Tags = []string{"image", "blur", "filter"}
		m.Exports = []string{"blur", "grayscale", "invert"}
		m.Description = "Image effects: box blur, grayscale and invert on RGBA buffers"
	})), InstallOptions{})
	install(t, r, writePkg(t, makePkg(t, "blurview", "1.0.0", KindApp, map[string]string{"imagefx": "^1"}, func(m *Manifest) {
		m.Description = "Shows a picture and blurs it with imagefx"
	})), InstallOptions{})
	install(t, r, writePkg(t, makePkg(t, "clock", "1.0.0", KindApp, nil, func(m *Manifest) {
		m.Description = "A clock"
	})), InstallOptions{})
	hits, err := r.Search("blur", 10)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range hits {
		names = append(names, h.Name)
	}
	if len(names) != 2 || !(names[0] == "imagefx" || names[0] == "blurview") {
		t.Fatalf("search blur: %v", names)
	}
	if hits[0].Score < hits[1].Score {
		t.Fatal("not ranked")
	}
	if hits, _ := r.Search("image effects", 10); len(hits) == 0 || hits[0].Name != "imagefx" {
		t.Fatalf("search 'image effects': %+v", hits)
	}
	// Removal drops it from the index.
	if _, err := r.Remove("blurview", "", false); err != nil {
		t.Fatal(err)
	}
	if hits, _ := r.Search("blurview", 10); len(hits) != 0 {
		t.Fatalf("removed module still found: %+v", hits)
	}
}

func TestRecoverRebuildsIndexAndCleans(t *testing.T) {
	r := newReg(t)
	res := install(t, r, writePkg(t, makePkg(t, "keep", "1.0.0", KindApp, nil, nil)), InstallOptions{})
	// Leftovers of an interrupted install: a staged file, an orphan blob, an orphan manifest.
	os.WriteFile(filepath.Join(r.stagingDir(), "junk"), []byte("x"), 0o644)
	orphan := r.BlobPath(Digest([]byte("orphan")))
	os.WriteFile(orphan, []byte("orphan"), 0o644)
	os.MkdirAll(r.versionDir("ghost", "1.0.0"), 0o755)
	os.WriteFile(r.manifestPath("ghost", "1.0.0"), []byte("x"), 0o644)
	os.RemoveAll(r.indexPath())
	r2, err := Open(r.Home())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{orphan, r.manifestPath("ghost", "1.0.0"), filepath.Join(r.stagingDir(), "junk")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s survived recovery", p)
		}
	}
	if _, err := os.Stat(r.BlobPath(res[0].Record.EntryDigest)); err != nil {
		t.Fatal("recovery removed a referenced blob")
	}
	if hits, _ := r2.Search("keep", 5); len(hits) != 1 {
		t.Fatalf("index not rebuilt: %+v", hits)
	}
}

func TestParseRef(t *testing.T) {
	cases := map[string]Ref{
		"orbital://imagefx@^1.2": {Kind: RefName, Name: "imagefx", Range: "^1.2"},
		"orbital://hello":        {Kind: RefName, Name: "hello"},
		"imagefx@1.0.0":          {Kind: RefName, Name: "imagefx", Range: "1.0.0"},
		"http://x/y.wasm":        {Kind: RefURL},
		"image blur":             {Kind: RefWords},
		"./nope.wasm":            {Kind: RefFile},
	}
	for in, want := range cases {
		got := ParseRef(in)
		if got.Kind != want.Kind || got.Name != want.Name || got.Range != want.Range {
			t.Errorf("ParseRef(%q) = %+v, want %+v", in, got, want)
		}
	}
}

// TestReplaceWritesBeside: --replace and repair write the version beside the live directory
// and switch the record in the commit; the replaced files are gone afterwards, and replacing
// back and forth keeps one directory per version.
func TestReplaceWritesBeside(t *testing.T) {
	r := newReg(t)
	a := makePkg(t, "rb", "1.0.0", KindApp, nil, nil)
	b := makePkg(t, "rb", "1.0.0", KindApp, nil, func(m *Manifest) { m.Description = "rebuilt" })
	for i, pkg := range []*Package{a, b, a, b} {
		res := install(t, r, writePkg(t, pkg), InstallOptions{Replace: true})
		got, err := r.Load(res[0].Record)
		if err != nil || got.Manifest.Description != pkg.Manifest.Description {
			t.Fatalf("install %d: %v %+v", i, err, got)
		}
		dirs, _ := filepath.Glob(filepath.Join(r.manifestDir(), "rb", "*"))
		if len(dirs) != 1 || dirs[0] != filepath.Dir(r.EntryPath(res[0].Record)) {
			t.Fatalf("install %d: version directories %v", i, dirs)
		}
	}
}
