package faults

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
	"github.com/orbital/orbital/registry"
)

// exitWAT is the smallest runnable module: it exits with code 7.
const exitWAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 7))))`

// nested is a TOML value nested n arrays deep: 2n bytes, gzipped to a few KiB.
func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// tarGz packs files (name, body pairs, in order) as a .tar.gz.
func tarGz(files ...string) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	for i := 0; i+1 < len(files); i += 2 {
		tw.WriteHeader(&tar.Header{Name: files[i], Mode: 0o644, Size: int64(len(files[i+1])), Typeflag: tar.TypeReg})
		tw.Write([]byte(files[i+1]))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// bombPackage is a 2 KB package whose module.toml nests 400k arrays (under the 1 MiB size
// bound, so the nesting bound is what refuses it).
func bombPackage(t *testing.T, wasm []byte) []byte {
	t.Helper()
	man := "name = \"bomb\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = \"bomb.wasm\"\ntags = " + nested(400_000) + "\n"
	return tarGz(registry.ManifestFile, man, "bomb.wasm", string(wasm))
}

// Defect 1: a package, a policy file or config.toml nested two million levels deep overflowed
// the TOML decoder's stack ("fatal error: stack overflow", no recover): it killed orbital
// install (file and URL), policy check and every orbital run. Now each refuses it before
// decoding, naming the file and line. (The registry server's side is in
// TestRegistryServerHostileUploads.)
func TestTOMLBombs(t *testing.T) {
	dir := t.TempDir()
	wasm, err := os.ReadFile(wat(t, dir, "tiny", exitWAT))
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(dir, "bomb.tar.gz")
	os.WriteFile(pkg, bombPackage(t, wasm), 0o644)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	fi, _ := os.Stat(pkg)
	t.Logf("the bomb package is %d bytes", fi.Size())

	policyHome := home(t, map[string]string{"bomb": "[module]\nmatch = \"tiny\"\n[env]\nA = " + nested(400_000) + "\n"})
	configHome := testenv.Home(t)
	os.WriteFile(filepath.Join(configHome, "config.toml"), []byte("[registry]\nremotes = "+nested(400_000)+"\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"install file", []string{"install", "--home", testenv.Home(t), pkg}, "bomb.tar.gz/module.toml:5: arrays and inline tables nested more than 16 deep"},
		{"install URL", []string{"install", "--home", testenv.Home(t), srv.URL + "/bomb.tar.gz"}, "module.toml:5: arrays and inline tables nested more than 16 deep"},
		{"policy check", []string{"policy", "check", "--home", policyHome}, "bomb.toml:4: error: arrays and inline tables nested more than 16 deep"},
		{"run", []string{"run", "--home", policyHome, filepath.Join(dir, "tiny.wasm")}, "bomb.toml:4: arrays and inline tables nested more than 16 deep"},
		{"config.toml", []string{"install", "--home", configHome, filepath.Join(dir, "tiny.wasm")}, "config.toml:2: arrays and inline tables nested more than 16 deep"},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "-"), func(t *testing.T) {
			r := orbital(t, 60*time.Second, tt.args...)
			all := r.stdout + r.stderr
			if strings.Contains(all, "stack overflow") || strings.Contains(all, "goroutine ") {
				t.Fatalf("orbital %v crashed:\n%.2000s", tt.args, all)
			}
			if !strings.Contains(all, tt.want) {
				t.Fatalf("orbital %v: exit %d, want %q in:\n%.2000s", tt.args, r.code, tt.want, all)
			}
		})
	}
}

// Defect 6: compiling had no ceiling: a 4 MB module of 999k empty functions took 5.3 GB and
// 24 s, and wrote 235 MB into the compile cache. Now it is refused before it compiles, by run
// and by install, and leaves nothing in the cache.
func TestCompileBomb(t *testing.T) {
	h := testenv.FreshHome(t)
	p := filepath.Join(t.TempDir(), "many.wasm")
	if err := os.WriteFile(p, testenv.EmptyFuncs(999_000), 0o644); err != nil {
		t.Fatal(err)
	}
	r := orbital(t, 60*time.Second, "run", "--home", h, p)
	t.Logf("orbital run of the 999k-function module: refused, exit %d, in %v (before: compiled in 5.3 GB and 24 s)", r.code, r.took)
	if r.code == 0 || !strings.Contains(r.stderr, "module has 999000 functions, over the limit of 50000 (refused before compiling)") {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	if r.took > 20*time.Second {
		t.Fatalf("refusing took %v", r.took)
	}
	if ents, _ := os.ReadDir(filepath.Join(h, "cache", "compiled")); len(ents) != 0 {
		t.Fatalf("the compile cache holds %d files", len(ents))
	}
	r = orbital(t, 60*time.Second, "install", "--home", h, p)
	if r.code == 0 || !strings.Contains(r.stderr, "999000 functions, over the limit of 50000") {
		t.Fatalf("install: exit %d\n%s", r.code, r.stderr)
	}
}

// server runs `orbital registry serve` on a free port; it returns the URL and a function that
// returns the server's peak RSS in MiB so far (VmHWM: the rusage of a child started with
// vfork also counts its parent's pages before exec) and stops it.
func server(t *testing.T, dir string) (string, func() int64) {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), "registry", "serve", "--addr", "127.0.0.1:0", dir)
	out, _ := cmd.StdoutPipe()
	var errOut testenv.SyncBuffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var rss int64
	stop := func() int64 {
		once.Do(func() {
			st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
			if m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(st); m != nil {
				rss, _ = strconv.ParseInt(string(m[1]), 10, 64)
				rss >>= 10
			}
			cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		})
		return rss
	}
	t.Cleanup(func() { stop() })
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
		return u, stop
	case <-time.After(60 * time.Second):
		t.Fatalf("orbital registry serve did not start:\n%s", errOut.String())
	}
	return "", nil
}

// zeroPackage is a package of manifest and an entry of n MiB of zeros, a few hundred KiB on
// the wire: gzip readers read concatenated members as one stream, so one compressed MiB of
// zeros is repeated.
func zeroPackage(manifest, entry string, n int) []byte {
	member := func(b []byte) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	var head bytes.Buffer
	tw := tar.NewWriter(&head)
	tw.WriteHeader(&tar.Header{Name: registry.ManifestFile, Mode: 0o644, Size: int64(len(manifest)), Typeflag: tar.TypeReg})
	tw.Write([]byte(manifest))
	tw.WriteHeader(&tar.Header{Name: entry, Mode: 0o644, Size: int64(n) << 20, Typeflag: tar.TypeReg})
	tw.Flush()
	out := append(member(head.Bytes()), bytes.Repeat(member(make([]byte, 1<<20)), n)...)
	return append(out, member(make([]byte, 1024))...) // the tar trailer
}

// hostileUploads are the uploads an attacker sends: a nested manifest, a forged signature
// over a 96 MiB entry, a valid self-signature over a 96 MiB entry (over the server's cap) and
// over a 60 MiB one (under it: read in full, its digest holds, then refused as not WASM).
func hostileUploads(t *testing.T, wasm []byte) [][]byte {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	signed := func(version string, entry []byte) string {
		m := &registry.Manifest{Name: "victim", Version: version, Kind: registry.KindApp, Entry: "victim.wasm", EntryDigest: registry.Digest(entry)}
		if err := registry.Sign(m, key); err != nil {
			t.Fatal(err)
		}
		return string(m.Encode())
	}
	forged := strings.Replace(signed("1.0.0", wasm), `version = "1.0.0"`, `version = "1.0.1"`, 1)
	return [][]byte{
		bombPackage(t, wasm),
		zeroPackage(forged, "victim.wasm", 96),
		zeroPackage(signed("2.0.0", make([]byte, 96<<20)), "victim.wasm", 96),
		zeroPackage(signed("3.0.0", make([]byte, 60<<20)), "victim.wasm", 60),
	}
}

// Defect 5: the registry server decompressed uploads fully before checking them, with no limit
// on uploads in flight: six parallel 1 MB uploads took it from 22 MB to 2.5 GB. Now 16
// parallel hostile uploaders are refused (400) or turned away (503) and the server's peak RSS
// stays under 256 MB; it still serves and accepts a good package afterwards.
func TestRegistryServerHostileUploads(t *testing.T) {
	dir := t.TempDir()
	wasm, err := os.ReadFile(wat(t, dir, "tiny", exitWAT))
	if err != nil {
		t.Fatal(err)
	}
	bodies := hostileUploads(t, wasm)
	url, stop := server(t, filepath.Join(dir, "srv"))
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 4 {
				body := bodies[(i+j)%len(bodies)]
				resp, err := http.Post(url+"/v1/publish", "application/gzip", bytes.NewReader(body))
				code := 0
				if err == nil {
					code = resp.StatusCode
					resp.Body.Close()
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("64 hostile uploads from 16 at once: answers %v", codes)
	for code := range codes {
		if code != http.StatusBadRequest && code != http.StatusServiceUnavailable && code != http.StatusRequestEntityTooLarge {
			t.Fatalf("answers %v: a hostile upload got %d", codes, code)
		}
	}
	if codes[http.StatusBadRequest] == 0 {
		t.Fatalf("answers %v: none was read and refused", codes)
	}
	// Still serving: a good package publishes.
	good := filepath.Join(dir, "good")
	os.MkdirAll(good, 0o755)
	os.WriteFile(filepath.Join(good, "good.wasm"), wasm, 0o644)
	os.WriteFile(filepath.Join(good, "module.toml"), []byte("name = \"good\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = \"good.wasm\"\n"), 0o644)
	if r := orbital(t, 60*time.Second, "publish", "--home", testenv.Home(t), "--to", url, good); r.code != 0 {
		t.Fatalf("publish after the attack: %s", r.stderr)
	}
	rss := stop()
	t.Logf("registry server peak RSS under 16 parallel hostile uploaders: %d MiB (goal < 256 MB; before: 2.5 GB from six)", rss)
	if rss >= 256*1000*1000>>20 {
		t.Fatalf("peak RSS %d MiB", rss)
	}
}

// Defect 8: "a name keeps its first publisher" raced: two keys publishing one new name at once
// both succeeded in 2 of 6 tries. Now, through orbital publish and a real server, exactly one
// of two racing keys gets each new name, every time.
func TestPublishRace(t *testing.T) {
	dir := t.TempDir()
	wasm, err := os.ReadFile(wat(t, dir, "tiny", exitWAT))
	if err != nil {
		t.Fatal(err)
	}
	url, _ := server(t, filepath.Join(dir, "srv"))
	keyHomes := []string{testenv.Home(t), testenv.Home(t)}
	for round := range 6 {
		name := fmt.Sprintf("race%d", round)
		var wg sync.WaitGroup
		results := make([]result, 2)
		for i, kh := range keyHomes {
			mod := filepath.Join(dir, fmt.Sprintf("%s-%d", name, i))
			os.MkdirAll(mod, 0o755)
			os.WriteFile(filepath.Join(mod, name+".wasm"), wasm, 0o644)
			os.WriteFile(filepath.Join(mod, "module.toml"), fmt.Appendf(nil, "name = %q\nversion = \"1.0.%d\"\nkind = \"app\"\nentry = \"%s.wasm\"\n", name, i, name), 0o644)
			wg.Go(func() { results[i] = orbital(t, 60*time.Second, "publish", "--home", kh, "--to", url, mod) })
		}
		wg.Wait()
		won := 0
		for _, r := range results {
			if r.code == 0 {
				won++
			} else if !strings.Contains(r.stderr, "may not publish versions of it") {
				t.Fatalf("round %d: a publish failed otherwise: %s", round, r.stderr)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d of two racing publishers got %s", round, won, name)
		}
	}
}
