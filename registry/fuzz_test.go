package registry

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// FuzzLoadConfig: config.toml's [registry] table never panics the reader, and what it accepts
// is a list of http(s) URLs.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte("[registry]\nremotes = [\"http://127.0.0.1:7070\"]\n"))
	f.Add([]byte("[shell]\nx = 1\n[registry]\nremotes = []\n"))
	f.Add([]byte("[registry]\nremotes = [[[[[[[[[[[[[[[[[[[[\"x\"]]]]]]]]]]]]]]]]]]]\n"))
	f.Add([]byte("[registry]\nmirrors = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig(data, "config.toml")
		if err != nil {
			return
		}
		for _, u := range cfg.Registries {
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				t.Fatalf("accepted remote %q", u)
			}
		}
	})
}

// FuzzCheckWasmLimits: the limit scan never panics and answers nil, ErrWasmLimit or
// ErrNotWasm; a module within tiny limits is within the defaults too.
func FuzzCheckWasmLimits(f *testing.F) {
	f.Add(buildWasm([]WasmImport{{"imagefx", "blur"}}, []string{"a", "b"}, true))
	f.Add([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 10, 5, 1, 3, 1, 0xff, 0x7f})
	f.Add([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 3, 5, 0xff, 0xff, 0xff, 0xff, 0x0f})
	tiny := WasmLimits{MaxBytes: 4096, MaxFunctions: 4, MaxBody: 64, MaxLocals: 8, MaxTypes: 4, MaxImports: 4,
		MaxExports: 4, MaxGlobals: 4, MaxTables: 1, MaxMemories: 1, MaxData: 4, MaxElements: 4}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckWasmLimits(data, tiny)
		if err != nil && !errors.Is(err, ErrWasmLimit) && !errors.Is(err, ErrNotWasm) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if err == nil {
			if err := CheckWasmLimits(data, WasmLimits{}); err != nil {
				t.Fatalf("within tiny limits but not the defaults: %v", err)
			}
		}
	})
}

// FuzzReadUpload: the server's streaming package reader never panics, never returns a package
// whose signature does not hold, and never holds more than its caps.
func FuzzReadUpload(f *testing.F) {
	_, key, _ := ed25519.GenerateKey(nil)
	pkg := makePkgTB(f, "up", "1.0.0")
	if err := Sign(pkg.Manifest, key); err != nil {
		f.Fatal(err)
	}
	good, _ := pkg.Archive()
	f.Add(good)
	f.Add(tarGz(f, reg(ManifestFile, pkg.Manifest.Encode()), reg("extra", []byte("x"))))
	f.Add(tarGz(f, reg("up.wasm", pkg.Entry), reg(ManifestFile, pkg.Manifest.Encode())))
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := readUpload(bytes.NewReader(data), 1<<16, 1<<20, VerifySignature)
		if err != nil {
			return
		}
		if VerifySignature(p.Manifest) != nil || p.Verify() != nil {
			t.Fatalf("accepted a package that does not verify: %+v", p.Manifest)
		}
		total := len(p.Entry)
		for _, b := range p.Files {
			total += len(b)
		}
		if total > 1<<20 {
			t.Fatalf("accepted %d bytes past the cap", total)
		}
	})
}

func makePkgTB(tb testing.TB, name, version string) *Package {
	wasm := buildWasm(nil, []string{"f"}, true)
	m := &Manifest{Name: name, Version: version, Kind: KindApp, Entry: name + ".wasm", EntryDigest: Digest(wasm)}
	if err := m.Validate(); err != nil {
		tb.Fatal(err)
	}
	return &Package{Manifest: m, Entry: wasm, Files: map[string][]byte{}}
}

// FuzzServeHTTP: the registry server's handlers answer any request without panicking, with a
// status from the API's set, and whatever a publish installs is signed.
func FuzzServeHTTP(f *testing.F) {
	_, key, _ := ed25519.GenerateKey(nil)
	pkg := makePkgTB(f, "srv", "1.0.0")
	Sign(pkg.Manifest, key)
	good, _ := pkg.Archive()
	for _, seed := range []string{
		"GET /v1/search?q=srv&n=5 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v1/search?q=%ff&n=-1 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v1/modules/srv HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v1/modules/srv/1.0.0.tar.gz HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v1/modules/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /v1/modules/srv/..%2f..%2f1.0.0.tar.gz HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"POST /v1/publish HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\x1f\x8b\x08\r\n0\r\n\r\n",
		"DELETE /v1/modules/srv HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Add(append([]byte("POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(len(good))+"\r\n\r\n"), good...))
	var once sync.Once
	var s *Server
	f.Fuzz(func(t *testing.T, raw []byte) {
		once.Do(func() {
			s = &Server{Reg: newReg(t), Log: func(string) {}, Limits: ServerLimits{MaxUpload: 1 << 20, MaxUnpacked: 1 << 20}}
			if _, _, err := s.Reg.installPackage(t.Context(), pkg, origin{Source: "seed"}, &InstallOptions{}); err != nil {
				t.Fatal(err)
			}
		})
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // net/http answers 400 before any handler
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		switch w.Code {
		case 200, 201, 400, 403, 404, 409, 413, 500, 503:
		default:
			t.Fatalf("%s %s: status %d", r.Method, r.URL, w.Code)
		}
		if w.Code == http.StatusCreated {
			recs, _ := s.Reg.List("")
			for _, rec := range recs {
				if !rec.Signed {
					t.Fatalf("publish installed unsigned %s", rec.ID())
				}
			}
		}
	})
}
