package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/registry"
)

// mustRun is orbitalRun that fails the test on a non-zero exit.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := orbitalRun(t, nil, args...)
	if code != 0 {
		t.Fatalf("orbital %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
	}
	return out
}

// moduleDir makes a module directory: module.toml from modules/<name> and the built .wasm.
func moduleDir(t *testing.T, name string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	man, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "modules", name, "module.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		man = []byte(edit(string(man)))
	}
	wasm, err := os.ReadFile(testenv.Module(t, name))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "module.toml"), man, 0o644)
	os.WriteFile(filepath.Join(dir, name+".wasm"), wasm, 0o644)
	return dir
}

// startRegistry runs `orbital registry serve` on a free 127.0.0.1 port and returns its URL.
func startRegistry(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), "registry", "serve", "--addr", "127.0.0.1:0", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		re := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
	}()
	select {
	case u := <-urlc:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("orbital registry serve did not report its address")
	}
	return ""
}

// TestRegistryPublishInstallRun: publish signed imagefx and blurview to a real registry
// server, install blurview by orbital:// name into another home (imagefx comes along as its
// library), run it, and see untrusted, unsigned and tampered packages refused.
func TestRegistryPublishInstallRun(t *testing.T) {
	url := startRegistry(t, t.TempDir())
	pub := testenv.Home(t)
	for _, m := range []string{"imagefx", "blurview"} {
		out := mustRun(t, "publish", "--home", pub, "--to", url, moduleDir(t, m, nil))
		if !strings.Contains(out, "published "+m+"@1.0.0") {
			t.Fatalf("publish %s: %s", m, out)
		}
	}
	key := strings.TrimSpace(mustRun(t, "registry", "key", "--home", pub))

	// Search on the server: blur finds both, ranked.
	out := mustRun(t, "search", "--home", testenv.Home(t), "--registry", url, "blur")
	if !strings.Contains(out, "imagefx") || !strings.Contains(out, "blurview") {
		t.Fatalf("remote search blur:\n%s", out)
	}

	// A home that does not trust the key refuses.
	_, errOut, code := orbitalRun(t, nil, "install", "--home", testenv.Home(t), "--registry", url, "orbital://blurview")
	if code != exitUsage || !strings.Contains(errOut, "orbital registry trust "+key) {
		t.Fatalf("untrusted install: exit %d, stderr %s", code, errOut)
	}

	client := testenv.Home(t)
	mustRun(t, "registry", "trust", "--home", client, key)
	out = mustRun(t, "install", "--home", client, "--registry", url, "orbital://blurview@^1")
	if !strings.Contains(out, "installed blurview@1.0.0") {
		t.Fatalf("install: %s", out)
	}
	ls := mustRun(t, "ls", "--home", client)
	if !regexp.MustCompile(`imagefx\s+1\.0\.0\s+library\s+yes`).MatchString(ls) {
		t.Fatalf("the library did not come along signed:\n%s", ls)
	}
	out = mustRun(t, "run", "--home", client, "blurview", "--", "--check")
	if !strings.Contains(out, "check ok") {
		t.Fatalf("blurview --check: %s", out)
	}
	info := mustRun(t, "info", "--home", client, "blurview")
	if !strings.Contains(info, "signature valid, trusted") || !strings.Contains(info, "imagefx ^1.0 (uses imagefx@1.0.0)") {
		t.Fatalf("info:\n%s", info)
	}

	// A proxy registry that serves what the real one has, altered.
	resp, err := http.Get(url + "/v1/modules/imagefx/1.0.0.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	good, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pkg, err := registry.LoadPackage(good, "imagefx.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	tamperCode := func(p *registry.Package) { p.Entry = append([]byte(nil), p.Entry...); p.Entry[len(p.Entry)/2] ^= 1 }
	tamperManifest := func(p *registry.Package) { c := *p.Manifest; c.Description += "!"; p.Manifest = &c }
	unsign := func(p *registry.Package) { c := *p.Manifest; c.Signature, c.Publisher = "", ""; p.Manifest = &c }
	for _, tc := range []struct {
		name   string
		alter  func(*registry.Package)
		want   string
		helped string
	}{
		{"code byte", tamperCode, "digest mismatch", ""},
		{"manifest byte", tamperManifest, "bad signature", ""},
		{"unsigned", unsign, "not signed", "--allow-unsigned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := &registry.Package{Manifest: pkg.Manifest, Entry: pkg.Entry, Files: pkg.Files}
			tc.alter(bad)
			body, err := bad.Archive()
			if err != nil {
				t.Fatal(err)
			}
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/v1/modules/imagefx":
					fmt.Fprint(w, `{"name":"imagefx","versions":["1.0.0"]}`)
				case "/v1/modules/imagefx/1.0.0.tar.gz":
					w.Write(body)
				default:
					http.NotFound(w, r)
				}
			}))
			defer proxy.Close()
			home := testenv.Home(t)
			mustRun(t, "registry", "trust", "--home", home, key)
			_, errOut, code := orbitalRun(t, nil, "install", "--home", home, "--registry", proxy.URL, "orbital://imagefx")
			if code != exitUsage || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, tc.helped) {
				t.Fatalf("exit %d, stderr %s; want %q", code, errOut, tc.want)
			}
			if ls, _, _ := orbitalRun(t, nil, "ls", "--home", home); strings.Contains(ls, "imagefx") {
				t.Fatalf("refused package is listed:\n%s", ls)
			}
		})
	}

	// Publishing an unsigned package straight to the server is refused.
	arch, _ := (&registry.Package{Manifest: func() *registry.Manifest {
		c := *pkg.Manifest
		c.Signature, c.Publisher = "", ""
		c.Version = "1.0.1"
		return &c
	}(), Entry: pkg.Entry}).Archive()
	resp, err = http.Post(url+"/v1/publish", "application/gzip", bytes.NewReader(arch))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "orbital sign") {
		t.Fatalf("unsigned publish: %s %s", resp.Status, msg)
	}
}

// TestInstallBadInput: each bad input gets one clear message, exit 2, and nothing installed.
func TestInstallBadInput(t *testing.T) {
	home := testenv.Home(t)
	mustRun(t, "install", "--home", home, moduleDir(t, "imagefx", nil))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page.wasm":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><body>not here</body></html>")
		case "/slow.wasm":
			select {
			case <-r.Context().Done():
			case <-time.After(20 * time.Second):
			}
		case "/short.wasm":
			w.Header().Set("Content-Length", "100000")
			w.Write([]byte("\x00asm\x01\x00\x00\x00"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	badTOML := moduleDir(t, "imagefx", func(s string) string { return s + "\nversion_typo = 1\n" })
	badSemver := moduleDir(t, "imagefx", func(s string) string { return strings.Replace(s, `"1.0.0"`, `"1.0"`, 1) })
	older := moduleDir(t, "imagefx", func(s string) string { return strings.Replace(s, `"1.0.0"`, `"0.9.0"`, 1) })
	unsat := moduleDir(t, "blurview", func(s string) string { return strings.Replace(s, `"^1.0"`, `"^2.0"`, 1) })
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown key", []string{badTOML}, "module.toml:9: version_typo: unknown key"},
		{"bad semver", []string{badSemver}, `version: "1.0" is not a semantic version`},
		{"downgrade", []string{older}, "pass --allow-downgrade"},
		{"unsatisfiable", []string{unsat}, "imagefx ^2.0 (installed: 1.0.0)"},
		{"404", []string{srv.URL + "/gone.wasm"}, srv.URL + "/gone.wasm: server answered 404 Not Found"},
		{"html", []string{srv.URL + "/page.wasm"}, "is an HTML page, not a WASM module or Orbital package"},
		{"timeout", []string{"--timeout", "500ms", srv.URL + "/slow.wasm"}, "timed out after 500ms"},
		{"truncated", []string{"--retries", "0", srv.URL + "/short.wasm"}, "truncated"},
		{"missing file", []string{"./nope.wasm"}, "nope.wasm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := orbitalRun(t, nil, append([]string{"install", "--home", home}, c.args...)...)
			if code == 0 || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d\nstdout %s\nstderr %s\nwant %q", code, out, errOut, c.want)
			}
		})
	}
	ls := mustRun(t, "ls", "--home", home, "--all")
	if strings.Count(ls, "\n") != 2 || !strings.Contains(ls, "imagefx  1.0.0") {
		t.Fatalf("something else got installed:\n%s", ls)
	}
}

// TestInstallDemosAndSearch installs the built demo modules the way `make run` does and checks
// search ranks the library and its app for "blur".
func TestInstallDemosAndSearch(t *testing.T) {
	dir := t.TempDir()
	for _, m := range []string{"imagefx", "blurview", "hello", "pubprobe"} {
		os.WriteFile(filepath.Join(dir, m+".wasm"), mustRead(t, testenv.Module(t, m)), 0o644)
	}
	home := testenv.Home(t)
	out := mustRun(t, "install", "--home", home, "--manifests", filepath.Join(testenv.RepoRoot(), "modules"), dir)
	if !strings.Contains(out, "installed imagefx@1.0.0 (library)") || !strings.Contains(out, "installed hello@1.0.0 (app)") || !strings.Contains(out, "installed pubprobe@0.0.0 (app)") {
		t.Fatalf("install demos: %s", out)
	}
	out = mustRun(t, "search", "--home", home, "blur")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "blurview") && !strings.HasPrefix(lines[1], "imagefx") {
		t.Fatalf("search blur:\n%s", out)
	}
	if !strings.Contains(out, "imagefx") || !strings.Contains(out, "blurview") {
		t.Fatalf("search blur misses one:\n%s", out)
	}
	if out := mustRun(t, "run", "--home", home, "blurview", "--", "--check"); !strings.Contains(out, "check ok") {
		t.Fatalf("blurview: %s", out)
	}
	// rm of the library the app needs is refused; the app can be removed, then the library.
	if _, errOut, code := orbitalRun(t, nil, "rm", "--home", home, "imagefx"); code != exitUsage || !strings.Contains(errOut, "blurview@1.0.0 needs imagefx ^1.0") {
		t.Fatalf("rm needed library: %d %s", code, errOut)
	}
	// Installing an app whose library is missing is refused; removing the library by force
	// leaves an app that is refused before it starts.
	mustRun(t, "rm", "--home", home, "blurview")
	mustRun(t, "rm", "--home", home, "imagefx")
	if _, errOut, code := orbitalRun(t, nil, "install", "--home", home, filepath.Join(dir, "blurview.wasm")); code != exitUsage || !strings.Contains(errOut, "needs library imagefx") {
		t.Fatalf("install without its library: %d %s", code, errOut)
	}
	mustRun(t, "install", "--home", home, filepath.Join(dir, "imagefx.wasm"), filepath.Join(dir, "blurview.wasm"))
	mustRun(t, "rm", "--home", home, "--force", "imagefx")
	_, errOut, code := orbitalRun(t, nil, "run", "--home", home, "blurview", "--", "--check")
	if code == 0 || !strings.Contains(errOut, `imports imagefx.blur from module "imagefx"`) {
		t.Fatalf("run without its library: %d %s", code, errOut)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
