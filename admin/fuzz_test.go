package admin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServeHTTP drives the panel's HTTP handlers with raw requests, parsed as the server
// parses them. TOKEN and CSRF in the input stand for the per-boot secrets, so the fuzzer
// reaches the routes behind them. Whatever arrives: no panic; no route without the token
// (401); no action without the CSRF header from the panel's own origin; every JSON answer
// parses. The corpus is in testdata/fuzz/FuzzServeHTTP.
func FuzzServeHTTP(f *testing.F) {
	for _, seed := range []string{
		"GET /t/TOKEN/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /t/TOKEN/api/ps HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /t/TOKEN/api/logs?pid=2&n=5 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /t/TOKEN/api/logs?pid=99999999999&n=-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /t/TOKEN/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"POST /t/TOKEN/api/kill HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Orbital-CSRF: CSRF\r\nContent-Length: 10\r\n\r\n{\"pid\": 2}",
		"POST /t/TOKEN/api/stop HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Orbital-CSRF: CSRF\r\nOrigin: http://evil.example\r\nContent-Length: 10\r\n\r\n{\"pid\": 2}",
		"POST /t/TOKEN/api/restart HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n{\"pid\": 2}",
		"POST /t/TOKEN/api/kill HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Orbital-CSRF: CSRF\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"p\r\n0\r\n\r\n",
		"GET /t/wrong/api/ps HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /t/TOKEN/../TOKEN/api/ps HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"GET /t/TOKEN%2f..%2fapi/ps HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tb := demoTable()
		s := NewServer(tb, "fuzz")
		raw = bytes.ReplaceAll(raw, []byte("TOKEN"), []byte(s.token))
		raw = bytes.ReplaceAll(raw, []byte("CSRF"), []byte(s.csrf))
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // the server would answer 400 before any handler
		}
		r.RemoteAddr = "127.0.0.1:1"
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)

		rest, _ := strings.CutPrefix(r.URL.Path, "/t/")
		tok, _, _ := strings.Cut(rest, "/")
		if tok != s.token && w.Code != http.StatusUnauthorized {
			t.Fatalf("%s %s without the token: status %d", r.Method, r.URL.Path, w.Code)
		}
		tb.mu.Lock()
		acted := len(tb.actions)
		tb.mu.Unlock()
		if acted > 0 {
			origin := r.Header.Get("Origin")
			if r.Method != http.MethodPost || r.Header.Get("X-Orbital-CSRF") != s.csrf ||
				(origin != "" && !strings.HasSuffix(origin, "//"+r.Host)) {
				t.Fatalf("action %v taken for %s %s (CSRF %q, Origin %q, Host %q)", tb.actions, r.Method, r.URL.Path,
					r.Header.Get("X-Orbital-CSRF"), origin, r.Host)
			}
		}
		if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s: invalid JSON answer %q", r.Method, r.URL.Path, w.Body.String())
		}
	})
}

// FuzzControlLine sends arbitrary lines through a control connection's handler: each gets one
// JSON answer, and nothing panics.
func FuzzControlLine(f *testing.F) {
	for _, seed := range []string{`{"op":"ps"}`, `{"op":"kill","pid":2}`, `{"op":"logs","pid":2,"n":-5}`,
		`{"op":"restart","pid":4294967295}`, `{"op":"nope"}`, `{`, `null`, `{"op":"stop","pid":-1}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n\r") {
			return
		}
		s := &ControlServer{ctl: demoTable()}
		a, b := net.Pipe()
		defer a.Close()
		go func() {
			defer b.Close()
			s.serve(b)
		}()
		go func() { a.Write([]byte(line + "\n")) }()
		var rep controlReply
		if err := json.NewDecoder(a).Decode(&rep); err != nil {
			t.Fatalf("line %q: no JSON answer: %v", line, err)
		}
	})
}
