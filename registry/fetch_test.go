package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func wasmBody(n int) []byte {
	b := make([]byte, n)
	copy(b, wasmMagic)
	for i := 4; i < n; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

func TestFetchOK(t *testing.T) {
	body := wasmBody(100_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "x.wasm", time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()
	var calls, lastDone, lastTotal int64
	got, err := Fetch(context.Background(), srv.URL+"/x.wasm", FetchOptions{Progress: func(d, t int64) {
		calls++
		lastDone, lastTotal = d, t
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("body differs: %d bytes vs %d", len(got), len(body))
	}
	if calls == 0 || lastDone != int64(len(body)) || lastTotal != int64(len(body)) {
		t.Fatalf("progress: calls=%d done=%d total=%d", calls, lastDone, lastTotal)
	}

	path := filepath.Join(t.TempDir(), "x.wasm")
	n, err := FetchFile(context.Background(), srv.URL+"/x.wasm", path, FetchOptions{})
	if err != nil || n != int64(len(body)) {
		t.Fatalf("FetchFile: n=%d err=%v", n, err)
	}
	onDisk, _ := os.ReadFile(path)
	if !bytes.Equal(onDisk, body) {
		t.Fatal("file differs")
	}
}

func TestFetchErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!DOCTYPE html><html><body>hello</body></html>")
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "just some text that is long enough")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10000")
		w.Write(wasmBody(10_000))
	})
	mux.HandleFunc("/bignolen", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "chunked")
		for range 10 {
			w.Write(wasmBody(1000))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	var tries500 atomic.Int32
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		tries500.Add(1)
		http.Error(w, "boom", 500)
	})
	mux.HandleFunc("/truncated", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000")
		w.Write(wasmBody(2000))
		// Returning early with a short body makes net/http close the connection.
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cases := []struct {
		name, path string
		opt        FetchOptions
		kind       error
		msg        string
	}{
		{"404", "/nope.wasm", FetchOptions{}, ErrHTTPStatus, srv.URL + "/nope.wasm: server answered 404 Not Found"},
		{"html", "/html", FetchOptions{}, ErrNotModule, srv.URL + "/html: is an HTML page, not a WASM module or Orbital package"},
		{"text", "/text", FetchOptions{}, ErrNotModule, "is not a WASM module or Orbital package"},
		{"cap-content-length", "/big", FetchOptions{MaxBytes: 5000}, ErrTooLarge, "body of 10000 bytes is larger than the cap of 5000 bytes"},
		{"cap-streaming", "/bignolen", FetchOptions{MaxBytes: 5000}, ErrTooLarge, "larger than the cap of 5000 bytes"},
		{"timeout", "/slow", FetchOptions{Timeout: 300 * time.Millisecond}, ErrTimeout, "timed out after 300ms"},
		{"500-retried", "/500", FetchOptions{Retries: 2}, ErrHTTPStatus, "server answered 500 Internal Server Error"},
		{"truncated", "/truncated", FetchOptions{Retries: -1}, ErrTruncated, "truncated"},
		{"bad-scheme", "ftp://x", FetchOptions{}, ErrBadURL, "not an http"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := srv.URL + c.path
			if strings.Contains(c.path, "://") {
				url = c.path
			}
			start := time.Now()
			_, err := Fetch(context.Background(), url, c.opt)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, c.kind) {
				t.Fatalf("error %v is not %v", err, c.kind)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %q does not contain %q", err, c.msg)
			}
			if c.name == "timeout" && time.Since(start) > 5*time.Second {
				t.Fatalf("timeout took %v", time.Since(start))
			}
		})
	}
	if n := tries500.Load(); n != 3 {
		t.Fatalf("500 tried %d times, want 3 (1 + 2 retries)", n)
	}
}

// TestFetchResume serves the first request short (the connection drops half way) and checks
// the retry resumes with a Range request instead of starting over.
func TestFetchResume(t *testing.T) {
	body := wasmBody(50_000)
	var ranges []string
	var first atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ranges = append(ranges, r.Header.Get("Range"))
		if !first.Swap(true) {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Header().Set("Accept-Ranges", "bytes")
			w.Write(body[:20_000])
			return
		}
		http.ServeContent(w, r, "x.wasm", time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()
	got, err := Fetch(context.Background(), srv.URL+"/x.wasm", FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("resumed body differs (%d bytes)", len(got))
	}
	if len(ranges) != 2 || ranges[1] != "bytes=20000-" {
		t.Fatalf("requests' Range headers: %q", ranges)
	}
}

// TestFetchNoRangeSupport checks a server that ignores Range gets the body restarted, not
// appended twice.
func TestFetchNoRangeSupport(t *testing.T) {
	body := wasmBody(30_000)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		if n.Add(1) == 1 {
			w.Write(body[:10_000])
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "x.wasm")
	if _, err := FetchFile(context.Background(), srv.URL, path, FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, body) {
		t.Fatalf("body differs (%d bytes)", len(got))
	}
}

func TestFetchCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.AfterFunc(100*time.Millisecond, cancel) }()
	_, err := Fetch(ctx, srv.URL, FetchOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
