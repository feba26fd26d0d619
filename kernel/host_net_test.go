package kernel

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fetchWAT fetches url with method GET and one request header, and exits with the status
// over 10 (200 → 20), or with the negated error code. On success it logs the region (head
// then body) at level 1.
func fetchWAT(url string, timeout time.Duration) string {
	return `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "orbital" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "orbital" "region_read" (func $rread (param i32 i64 i32 i32) (result i32)))
  (import "orbital" "http_fetch" (func $fetch (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i64) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 1000) "GET")
  (data (i32.const 1100) "` + url + `")
  (data (i32.const 1400) "X-Test: yes\n")
  (func (export "_start") (local $r i32) (local $n i32)
    (local.set $r (call $fetch (i32.const 1000) (i32.const 3) (i32.const 1100) (i32.const ` + fmt.Sprint(len(url)) + `)
      (i32.const 1400) (i32.const 12) (i32.const 0) (i32.const 0) (i32.const 2000) (i64.const ` + fmt.Sprint(int64(timeout)) + `)))
    (if (i32.ne (local.get $r) (i32.const 0)) (then (call $exit (i32.sub (i32.const 0) (local.get $r)))))
    (local.set $n (i32.add (i32.load (i32.const 2008)) (i32.wrap_i64 (i64.load (i32.const 2016)))))
    (if (i32.gt_s (local.get $n) (i32.const 0)) (then
      (if (i32.ne (call $rread (i32.load (i32.const 2004)) (i64.const 0) (i32.const 4096) (local.get $n)) (local.get $n))
        (then (call $exit (i32.const 99))))
      (drop (call $log (i32.const 1) (i32.const 4096) (local.get $n)))))
    (call $exit (i32.div_u (i32.load (i32.const 2000)) (i32.const 10)))))`
}

func fetchServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, string) {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s, strings.TrimPrefix(s.URL, "http://")
}

// TestHTTPFetch: a granted fetch returns status, head and body in a region; the request
// carries the guest's header and the User-Agent; a redirect or a host:port the net.allow list
// does not name is refused (ERR_DENIED) and audited; bad URLs, refused connections, timeouts
// and bodies over the region limit get their codes.
func TestHTTPFetch(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close() // nothing listens there now: connection refused

	other, otherAddr := fetchServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "other") })
	var gotHeader, gotAgent string
	_, addr := fetchServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "/big":
			w.Write(make([]byte, 1<<20))
		case "/missing":
			http.NotFound(w, r)
		default:
			gotHeader, gotAgent = r.Header.Get("X-Test"), r.Header.Get("User-Agent")
			w.Header().Set("X-Reply", "ok")
			fmt.Fprint(w, "hello from the server")
		}
	})
	st := policyHome(t, map[string]string{"net.toml": `[module]
match = "fetcher"
[net]
allow = ["` + addr + `", "` + closedAddr + `"]
`})
	sink := &logSink{}
	k := newKernel(t, Config{Policies: st, Log: sink.log})
	small := Limits{}
	small.Inbox.MaxRegionBytes = 64 << 10
	for _, tc := range []struct {
		name, url string
		timeout   time.Duration
		lim       Limits
		want      int
	}{
		{"fetcher", "http://" + addr + "/hello", -1, Limits{}, 20},
		{"fetcher", "http://" + addr + "/missing", -1, Limits{}, 40},
		{"fetcher", "http://" + otherAddr + "/x", -1, Limits{}, -int(errDenied)},
		{"fetcher", "http://" + addr + "/redirect", -1, Limits{}, -int(errDenied)},
		{"stranger", "http://" + addr + "/hello", -1, Limits{}, -int(errDenied)},
		{"fetcher", "ftp://" + addr + "/x", -1, Limits{}, -int(errInvalid)},
		{"fetcher", "http://" + addr + "/x", 0, Limits{}, -int(errInvalid)},
		{"fetcher", "http://" + closedAddr + "/x", -1, Limits{}, -int(errNetwork)},
		{"fetcher", "http://" + addr + "/slow", 100 * time.Millisecond, Limits{}, -int(errTimeout)},
		{"fetcher", "http://" + addr + "/big", -1, small, -int(errTooBig)},
	} {
		m := watModule(t, k, tc.name, fetchWAT(tc.url, tc.timeout))
		in := wait(t, spawn(t, k, m, SpawnOptions{Limits: tc.lim}), 20*time.Second)
		if in.ExitCode != tc.want {
			t.Errorf("%s %s: exit %d (%s), want %d\nlog:\n%s", tc.name, tc.url, in.ExitCode, in.Reason, tc.want, sink)
		}
	}
	if gotHeader != "yes" || !strings.Contains(gotAgent, "Orbital") {
		t.Errorf("server saw X-Test %q, User-Agent %q", gotHeader, gotAgent)
	}
	if log := sink.String(); !strings.Contains(log, `X-Reply: ok\r\n`) /* log lines are escaped */ || !strings.Contains(log, "hello from the server") {
		t.Errorf("the region did not hold the head and body:\n%s", log)
	}
	want := []string{"fetcher net " + otherAddr, "fetcher net " + otherAddr, "stranger net " + addr}
	if got := auditLines(t, st); got != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// TestHTTPFetchKill: a process blocked in a fetch that never answers is killed at once.
func TestHTTPFetchKill(t *testing.T) {
	_, addr := fetchServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	k := newKernel(t, Config{AllowAll: true})
	p := spawn(t, k, watModule(t, k, "hang", fetchWAT("http://"+addr+"/", -1)), SpawnOptions{})
	waitState(t, p, Blocked, 10*time.Second)
	start := time.Now()
	if err := k.Kill(p.PID(), true); err != nil {
		t.Fatal(err)
	}
	wait(t, p, 5*time.Second)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("kill took %v", d)
	}
}
