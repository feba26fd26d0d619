package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// TestShellOpensPackageURL: a signed package's URL typed into the real shell's bar is fetched
// from a 127.0.0.1 server, verified, installed into the home's registry and run in a window,
// as `orbital install URL` would; a tampered copy is refused on the error line and installs
// nothing.
func TestShellOpensPackageURL(t *testing.T) {
	pkgs := t.TempDir()
	good := filepath.Join(pkgs, "clock-1.0.0.tar.gz")
	mustRun(t, "pack", "-o", good, moduleDir(t, "clock", nil))
	mustRun(t, "sign", "--home", testenv.Home(t), good)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), data...)
	bad[len(bad)/2] ^= 0xff
	if err := os.WriteFile(filepath.Join(pkgs, "tampered-1.0.0.tar.gz"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(pkgs)))
	defer srv.Close()

	home := testenv.Home(t)
	sp := startShellHome(t, home)
	sp.waitForBar()
	sp.typeInBar(srv.URL + "/tampered-1.0.0.tar.gz")
	sp.waitFor(30*time.Second, "the tampered package refused on the error line", func() bool {
		out := sp.stderr.String()
		// Where the flipped byte lands decides which check refuses it (the gzip checksum, the
		// archive, the WASM, a digest or the signature); any of them is a refusal by the registry.
		return errorLineShown(sp.screen()) && strings.Contains(out, "tampered-1.0.0.tar.gz") && strings.Contains(out, "registry: ")
	})
	if ls := mustRun(t, "ls", "--home", home); strings.Contains(ls, "clock") {
		t.Fatalf("the tampered package was installed:\n%s", ls)
	}
	sp.typeInBar(srv.URL + "/clock-1.0.0.tar.gz")
	sp.waitFor(60*time.Second, "the clock window", func() bool {
		f := lightBounds(sp.screen(), desktop)
		return f.Dx() > 200 && f.Dy() > 200
	})
	ls := mustRun(t, "ls", "--home", home)
	if !strings.Contains(ls, "clock") || !strings.Contains(ls, "1.0.0") || !strings.Contains(ls, "yes") {
		t.Fatalf("the package was not installed:\n%s", ls)
	}
	sp.running()
}
