package system

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHTTPRoute is one HTTP round trip through a route (client, server, bus, the
// httpprobe module's recv and reply, back) beside a Go net/http handler answering the same
// bytes on the same loopback. Goal: route <= 2x base.
func BenchmarkHTTPRoute(b *testing.B) {
	in := probeInstance(b, b.TempDir())
	defer in.Close()
	if res, err := http.Get(in.HTTPURL() + "/p/warm"); err != nil || res.StatusCode != 200 {
		b.Fatalf("the first request (starting the module): %v %v", res, err)
	} else {
		res.Body.Close()
	}
	for _, n := range []int{64, 64 << 10} {
		body := bytes.Repeat([]byte("x"), n)
		raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write(body)
		}))
		get := func(b *testing.B, url string) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				res, err := http.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				got, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || got != int64(n) {
					b.Fatalf("status %d, %d bytes", res.StatusCode, got)
				}
			}
		}
		b.Run(fmt.Sprintf("size=%d/base=net-http", n), func(b *testing.B) { get(b, fmt.Sprintf("%s/p/x?n=%d", raw.URL, n)) })
		b.Run(fmt.Sprintf("size=%d/route", n), func(b *testing.B) { get(b, fmt.Sprintf("%s/p/x?n=%d", in.HTTPURL(), n)) })
		raw.Close()
	}
}
