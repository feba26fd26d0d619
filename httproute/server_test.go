package httproute

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// callFunc adapts a function to Caller.
type callFunc func(ctx context.Context, module string, msg Message) (Message, error)

func (f callFunc) Call(ctx context.Context, module string, msg Message) (Message, error) {
	return f(ctx, module, msg)
}

// echo answers every request with its decoded fields, as a module built on the SDK would.
func echo(ctx context.Context, module string, msg Message) (Message, error) {
	req, err := DecodeRequest(msg.Payload)
	if err != nil {
		return Message{}, err
	}
	body := req.Body
	if req.InRegion {
		body = msg.Region
	}
	out := fmt.Sprintf("%s %s %s?%s route=%s len=%d ua=%s", module, req.Method, req.Path, req.Query, req.Route, len(body), req.Header.Get("User-Agent"))
	rep := &Reply{Status: 201, Header: http.Header{"X-Module": {module}, "Content-Type": {"text/plain"}}, Body: []byte(out), BodyLen: int64(len(out))}
	if strings.HasSuffix(req.Path, "/big") {
		big := bytes.Repeat([]byte("z"), 3<<20)
		return Message{Payload: EncodeReply(nil, &Reply{Status: 200, InRegion: true, BodyLen: int64(len(big))}), Region: big}, nil
	}
	return Message{Payload: EncodeReply(nil, rep)}, nil
}

func serve(t *testing.T, c Caller, routes []Route, lim Limits) (*Server, string) {
	t.Helper()
	s := New(Config{Caller: c, MaxPayload: 64 << 10, Logf: t.Logf, Limits: lim})
	s.SetRoutes(routes)
	file := filepath.Join(t.TempDir(), "run", "http.url")
	u, err := s.Listen("127.0.0.1:0", file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("url file: %v %v", st, err)
	}
	return s, u
}

func get(t *testing.T, method, url string, body io.Reader) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("User-Agent", "test-agent")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestRoutes(t *testing.T) {
	_, u := serve(t, callFunc(echo), []Route{{Prefix: "/w/", Module: "watchdog"}, {Prefix: "/w/api/", Module: "api", Body: 8 << 20}}, Limits{})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		name, method, path string
		body               io.Reader
		status             int
		want               string
	}{
		{"get", "GET", "/w/status?x=1&y=%20", nil, 201, "watchdog GET /w/status?x=1&y=%20 route=/w/ len=0 ua=test-agent"},
		{"longest prefix", "POST", "/w/api/v1", strings.NewReader("hello"), 201, "api POST /w/api/v1? route=/w/api/ len=5"},
		{"body in a region", "PUT", "/w/api/up", bytes.NewReader(make([]byte, 200<<10)), 201, "len=204800"},
		{"reply body in a region", "GET", "/w/big", nil, 200, strings.Repeat("z", 100)},
		{"no route", "GET", "/nothing/", nil, 404, "no module serves /nothing/"},
		{"dotdot", "GET", "/w/../secret", nil, 400, "segments"},
		{"encoded slash", "GET", "/w/a%2Fb", nil, 400, "encoded slashes"},
		{"double slash", "GET", "/w//x", nil, 400, "segments"},
		{"body over the route's limit", "POST", "/w/x", bytes.NewReader(make([]byte, 2<<20)), 413, "takes at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := get(t, tc.method, u+tc.path, tc.body)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("%d %.200q, want %d %q", status, body, tc.status, tc.want)
			}
		})
	}
	resp, err := noRedirect.Get(u + "/w?q=1")
	if err != nil || resp.StatusCode != 301 || resp.Header.Get("Location") != "/w/?q=1" {
		t.Fatalf("redirect: %v %v", resp, err)
	}
	resp.Body.Close()
	// A chunked body over the limit is cut while read.
	pr, pw := io.Pipe()
	go func() { pw.Write(make([]byte, 2<<20)); pw.Close() }()
	if status, _, _ := get(t, "POST", u+"/w/x", pr); status != 413 {
		t.Fatalf("chunked body over the limit: %d", status)
	}
}

func TestCallerErrors(t *testing.T) {
	var mode string
	var mu sync.Mutex
	c := callFunc(func(ctx context.Context, module string, msg Message) (Message, error) {
		mu.Lock()
		m := mode
		mu.Unlock()
		switch m {
		case "hang":
			<-ctx.Done()
			return Message{}, fmt.Errorf("%w: %v", ErrNoReply, ctx.Err())
		case "crash":
			return Message{}, fmt.Errorf("%w: exit 134", ErrCrashed)
		case "busy":
			return Message{}, ErrBusy
		case "garbage":
			return Message{Payload: []byte("HTTP/1.1 200 OK\r\n")}, nil
		case "injection":
			p := EncodeReply(nil, &Reply{Status: 200, Header: http.Header{"X": {"a-b"}}})
			return Message{Payload: bytes.Replace(p, []byte("a-b"), []byte("a\nb"), 1)}, nil
		case "status":
			return Message{Payload: EncodeReply(nil, &Reply{Status: 101})}, nil
		}
		return echo(ctx, module, msg)
	})
	_, u := serve(t, c, []Route{{Prefix: "/m/", Module: "m", Timeout: 100 * time.Millisecond}}, Limits{})
	for _, tc := range []struct {
		mode   string
		status int
	}{{"hang", 504}, {"crash", 502}, {"busy", 503}, {"garbage", 502}, {"injection", 502}, {"status", 502}, {"ok", 201}} {
		mu.Lock()
		mode = tc.mode
		mu.Unlock()
		if status, body, _ := get(t, "GET", u+"/m/", nil); status != tc.status {
			t.Errorf("%s: %d %q, want %d", tc.mode, status, body, tc.status)
		}
	}
}

func TestRateLimit(t *testing.T) {
	_, u := serve(t, callFunc(echo), []Route{{Prefix: "/r/", Module: "r", Rate: 3}}, Limits{})
	got := map[int]int{}
	for range 10 {
		status, _, h := get(t, "GET", u+"/r/", nil)
		got[status]++
		if status == 429 && h.Get("Retry-After") != "1" {
			t.Error("429 without Retry-After")
		}
	}
	if got[201] < 3 || got[429] == 0 || got[201]+got[429] != 10 {
		t.Fatalf("statuses %v", got)
	}
}

// TestHostileClients: a header over the bound is 431; a client that sends its header slowly
// is cut off after the header timeout; connections past the cap wait, and are served once
// the idle ones are closed.
func TestHostileClients(t *testing.T) {
	_, u := serve(t, callFunc(echo), []Route{{Prefix: "/h/", Module: "h"}},
		Limits{HeaderTimeout: 300 * time.Millisecond, MaxConns: 2, MaxHeaderBytes: 4 << 10})
	addr := strings.TrimPrefix(u, "http://")
	req, _ := http.NewRequest("GET", u+"/h/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 431 {
		t.Fatalf("huge header: %v %v", resp, err)
	}
	resp.Body.Close()

	var slow []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /h/ HTTP/1.1\r\nHost: x\r\n") // never finishes its header
		slow = append(slow, c)
	}
	start := time.Now()
	status, _, _ := get(t, "GET", u+"/h/", nil) // waits for a slot
	if status != 201 {
		t.Fatalf("status %d", status)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("served past the connection cap after %v", d)
	}
	for _, c := range slow {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		if line != "" && !strings.Contains(line, "408") {
			t.Errorf("slow client got %q", line)
		}
	}
}

func TestConcurrentRequests(t *testing.T) {
	s, u := serve(t, callFunc(echo), []Route{{Prefix: "/c/", Module: "c", Rate: 10000}}, Limits{})
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%8 == 0 {
				s.SetRoutes([]Route{{Prefix: "/c/", Module: "c", Rate: 10000}})
			}
			resp, err := http.Get(fmt.Sprintf("%s/c/%d", u, i))
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 || !strings.Contains(string(b), fmt.Sprintf("/c/%d?", i)) {
				t.Errorf("%d %q", resp.StatusCode, b)
			}
		}()
	}
	wg.Wait()
}

func TestListenLoopbackOnly(t *testing.T) {
	if _, err := New(Config{Caller: callFunc(echo)}).Listen("0.0.0.0:0", ""); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err %v", err)
	}
}
