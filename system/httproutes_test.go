package system

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

const probePolicy = "[module]\nmatch = \"httpprobe\"\n[regions]\nmax = 8\nbytes = \"64MiB\"\n[http]\nroutes = [\"/p/\"]\nbody = \"4MiB\"\nrate = 100000\ntimeout = \"60s\"\n"

// probeInstance starts an instance serving the httpprobe module under /p/.
func probeInstance(t testing.TB, home string) *Instance {
	os.MkdirAll(filepath.Join(home, "policies"), 0o700)
	os.WriteFile(filepath.Join(home, "policies", "httpprobe.toml"), []byte(probePolicy), 0o600)
	t.Setenv("ORBITAL_MODULES", filepath.Dir(testenv.Module(t, "httpprobe")))
	in, err := New(Config{Home: home, Title: "test", Stdout: io.Discard, Stderr: io.Discard, HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return in
}

// TestHTTPRouteToModule: a request starts the module on demand and gets its answer; a body
// over the message limit goes both ways in regions; a module that ends without replying is
// 502 and the next request starts it again; two modules claiming one prefix are reported.
// Installed as a service, the module's requests spread over its instances, and it stops
// after its idle timeout until the next request starts it again.
func TestHTTPRouteToModule(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "policies"), 0o700)
	os.WriteFile(filepath.Join(home, "policies", "other.toml"), []byte("[module]\nmatch = \"other\"\n[http]\nroutes = [\"/p/\", \"/o/\"]\n"), 0o600)
	os.WriteFile(filepath.Join(home, "policies", "httpprobe.toml"), []byte(probePolicy), 0o600)
	in, out := start(t, Config{Home: home, HTTP: "127.0.0.1:0"})
	os.Remove(filepath.Join(home, "policies", "other.toml"))
	if !strings.Contains(out.String(), "/p/ is claimed by two modules") {
		t.Fatalf("no conflict reported:\n%s", out)
	}
	in.Close()
	in = probeInstance(t, home)
	defer in.Close()
	base := in.HTTPURL()
	if b, _ := os.ReadFile(HTTPURLFile(home)); strings.TrimSpace(string(b)) != base {
		t.Fatalf("http.url %q, want %q", b, base)
	}
	post := func(path string, body []byte) (int, []byte) {
		resp, err := http.Post(base+path, "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, b := post("/p/x?n=5", nil); code != 200 || string(b) != "xxxxx" {
		t.Fatalf("%d %q", code, b)
	}
	if code, b := post("/p/x?n=2000000", make([]byte, 3<<20)); code != 200 || len(b) != 2000000 {
		t.Fatalf("large: %d %d bytes", code, len(b))
	}
	if code, b := post("/p/crash", nil); code != 502 {
		t.Fatalf("crash: %d %q", code, b)
	}
	testenv.Eventually(t, func() bool { code, _ := post("/p/again?n=1", nil); return code == 200 }, 20*time.Second, "a new process after the crash")
	if code, _ := post("/o/", nil); code != 404 {
		t.Fatalf("the conflicting file's other route after its removal: %d", code)
	}
	in.Close()

	wasm, _ := os.ReadFile(testenv.Module(t, "httpprobe"))
	installWasm(t, home, wasm, "httpprobe", "service", "instances = 2\nidle_timeout = \"1s\"\n[permissions.http]\nroutes = [\"/p/\"]\n")
	in, _ = start(t, Config{Home: home, HTTP: "127.0.0.1:0"})
	base = in.HTTPURL()
	pids := map[string]bool{}
	testenv.Eventually(t, func() bool {
		_, b := post("/p/pid", nil)
		pids[string(b)] = true
		return len(pids) == 2
	}, 20*time.Second, "requests in a row reaching both instances")
	testenv.Eventually(t, func() bool { return len(running(in, "httpprobe")) == 0 }, 20*time.Second, "the instances stopped 1 s after the last request")
	if code, b := post("/p/x?n=3", nil); code != 200 || string(b) != "xxx" {
		t.Fatalf("after the idle stop: %d %q", code, b)
	}
}
