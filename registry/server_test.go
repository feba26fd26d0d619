package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// signedPkg is a package for name@version signed with key.
func signedPkg(t *testing.T, name, version string, key ed25519.PrivateKey) *Package {
	t.Helper()
	pkg := makePkg(t, name, version, KindApp, nil, nil)
	if err := Sign(pkg.Manifest, key); err != nil {
		t.Fatal(err)
	}
	return pkg
}

func archive(t *testing.T, pkg *Package) []byte {
	t.Helper()
	b, err := pkg.Archive()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(s *Server, body io.Reader) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/publish", body))
	return w
}

// TestPublishFirstPublisherRace: two keys publish one new name at once, many times over; the
// name keeps exactly one publisher every time (the check and the write are under one lock).
func TestPublishFirstPublisherRace(t *testing.T) {
	a, b := testKey(t), testKey(t)
	for round := range 8 {
		s := &Server{Reg: newReg(t), Log: func(string) {}}
		bodies := [][]byte{archive(t, signedPkg(t, "race", "1.0.0", a)), archive(t, signedPkg(t, "race", "1.0.1", b))}
		codes := make([]int, 2)
		var wg sync.WaitGroup
		for i := range bodies {
			wg.Go(func() { codes[i] = post(s, bytes.NewReader(bodies[i])).Code })
		}
		wg.Wait()
		recs, err := s.Reg.List("race")
		if err != nil {
			t.Fatal(err)
		}
		won := 0
		for _, c := range codes {
			if c == http.StatusCreated {
				won++
			} else if c != http.StatusForbidden {
				t.Fatalf("round %d: status %d", round, c)
			}
		}
		if won != 1 || len(recs) != 1 {
			t.Fatalf("round %d: %d publishes won (%v), %d versions installed", round, won, codes, len(recs))
		}
	}
}

var (
	zerosOnce sync.Once
	zerosGz   []byte // bombSize zero bytes: one gzip member of 1 MiB, repeated
)

// bombSize is over the server's 64 MiB cap on a package's files.
const bombSize = 96 << 20

// bombArchive is a package whose manifest comes first and whose entry (named entry) is
// bombSize zero bytes: about 100 KiB on the wire. gzip readers read concatenated members as
// one stream, so 1 MiB of zeros is compressed once and repeated.
func bombArchive(t *testing.T, manifest []byte, entry string) []byte {
	t.Helper()
	zerosOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(make([]byte, 1<<20))
		zw.Close()
		zerosGz = bytes.Repeat(buf.Bytes(), bombSize>>20)
	})
	member := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	var head bytes.Buffer
	tw := tar.NewWriter(&head)
	tw.WriteHeader(&tar.Header{Name: ManifestFile, Mode: 0o644, Size: int64(len(manifest)), Typeflag: tar.TypeReg})
	tw.Write(manifest)
	tw.WriteHeader(&tar.Header{Name: entry, Mode: 0o644, Size: bombSize, Typeflag: tar.TypeReg})
	tw.Flush()
	out := append(member(head.Bytes()), zerosGz...)
	return append(out, member(make([]byte, 1024))...) // the tar trailer
}

// TestPublishHostile: hostile uploads are refused with the reason, and those that fail the
// signature check cost the server no more than their manifest.
func TestPublishHostile(t *testing.T) {
	key := testKey(t)
	good := signedPkg(t, "good", "1.0.0", key)
	forged := *good.Manifest
	forged.Version = "1.0.1" // signature no longer matches
	unsigned := *good.Manifest
	unsigned.Publisher, unsigned.Signature = "", ""
	badEntry := archive(t, &Package{Manifest: good.Manifest, Entry: append([]byte(nil), good.Entry[:len(good.Entry)-1]...)})
	unlisted := func() []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		for _, f := range []struct {
			n string
			b []byte
		}{{ManifestFile, good.Manifest.Encode()}, {"extra.bin", []byte("x")}} {
			tw.WriteHeader(&tar.Header{Name: f.n, Mode: 0o644, Size: int64(len(f.b)), Typeflag: tar.TypeReg})
			tw.Write(f.b)
		}
		tw.Close()
		zw.Close()
		return buf.Bytes()
	}()
	entryFirst := func() []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: "good.wasm", Mode: 0o644, Size: int64(len(good.Entry)), Typeflag: tar.TypeReg})
		tw.Write(good.Entry)
		tw.Close()
		zw.Close()
		return buf.Bytes()
	}()
	s := &Server{Reg: newReg(t), Log: func(string) {}}
	tests := []struct {
		name string
		body []byte
		code int
		want string
	}{
		{"forged signature, 96 MiB entry", bombArchive(t, forged.Encode(), "good.wasm"), http.StatusBadRequest, "signature does not match"},
		{"unsigned, 96 MiB entry", bombArchive(t, unsigned.Encode(), "good.wasm"), http.StatusBadRequest, "orbital sign"},
		{"nested manifest", bombArchive(t, tomlBomb(400_000), "x.wasm"), http.StatusBadRequest, "nested more than 16 deep"},
		{"signed, entry over the cap", bombArchive(t, good.Manifest.Encode(), "good.wasm"), http.StatusBadRequest, "over the server's"},
		{"entry does not match its digest", badEntry, http.StatusBadRequest, "digest mismatch"},
		{"unlisted file", unlisted, http.StatusBadRequest, "not listed in the signed"},
		{"manifest not first", entryFirst, http.StatusBadRequest, "starts with module.toml"},
		{"not gzip", []byte("hello"), http.StatusBadRequest, "not a gzip file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			w := post(s, bytes.NewReader(tt.body))
			runtime.ReadMemStats(&after)
			if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.want) {
				t.Fatalf("status %d %q, want %d containing %q", w.Code, w.Body.String(), tt.code, tt.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
				t.Fatalf("refusing it allocated %d MiB", alloc>>20)
			}
		})
	}
	if recs, _ := s.Reg.List(""); len(recs) != 0 {
		t.Fatalf("hostile uploads installed %v", recs)
	}
	if w := post(s, bytes.NewReader(archive(t, good))); w.Code != http.StatusCreated {
		t.Fatalf("good package after the hostile ones: %d %s", w.Code, w.Body.String())
	}
}

// TestPublishInFlightCap: past Limits.Uploads publishes in flight, the next is turned away at
// once with 503 and Retry-After instead of queueing.
func TestPublishInFlightCap(t *testing.T) {
	s := &Server{Reg: newReg(t), Log: func(string) {}, Limits: ServerLimits{Uploads: 1}}
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() { done <- post(s, pr).Code }()
	body := archive(t, signedPkg(t, "slow", "1.0.0", testKey(t)))
	pw.Write(body[:10]) // the first upload is now reading its body
	w := post(s, bytes.NewReader(body))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("second upload: %d %s", w.Code, w.Body.String())
	}
	pw.Write(body[10:])
	pw.Close()
	if c := <-done; c != http.StatusCreated {
		t.Fatalf("first upload: %d", c)
	}
	if w := post(s, bytes.NewReader(archive(t, signedPkg(t, "slow", "1.0.1", testKey(t))))); w.Code != http.StatusForbidden {
		t.Fatalf("after the slot is free, another key's publish of the name: %d %s", w.Code, w.Body.String())
	}
}

// TestPublishWaitsOutBusy: Publish against a server at its upload cap gets 503, waits the
// Retry-After and publishes once the slot is free; a download streams a package that installs.
func TestPublishWaitsOutBusy(t *testing.T) {
	s := &Server{Reg: newReg(t), Log: func(string) {}, Limits: ServerLimits{Uploads: 1}}
	var mu sync.Mutex
	busyAnswers := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		if rec.Code == http.StatusServiceUnavailable {
			mu.Lock()
			busyAnswers++
			mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	defer srv.Close()
	key := testKey(t)
	first := archive(t, signedPkg(t, "busy", "1.0.0", key))
	pr, pw := io.Pipe()
	held := make(chan int)
	go func() { held <- post(s, pr).Code }()
	pw.Write(first[:10])
	done := make(chan error, 1)
	go func() {
		_, err := Publish(t.Context(), srv.URL, archive(t, signedPkg(t, "busy", "1.0.1", key)), nil)
		done <- err
	}()
	for {
		mu.Lock()
		n := busyAnswers
		mu.Unlock()
		if n > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Publish ended while the server was busy: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	pw.Write(first[10:])
	pw.Close()
	if c := <-held; c != http.StatusCreated {
		t.Fatalf("held upload: %d", c)
	}
	if err := <-done; err != nil {
		t.Fatalf("Publish after the busy answer: %v", err)
	}
	// The streamed download is the package.
	other := newReg(t)
	other.Remotes = []string{srv.URL}
	res, err := other.Install(t.Context(), "orbital://busy@1.0.1", InstallOptions{AllowUntrusted: true})
	if err != nil || res[0].Record.Version != "1.0.1" {
		t.Fatalf("install from the server: %v", err)
	}
}
