package admin

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// Idle local connections cannot take the instance's file descriptors (issue 18, defect 9:
// 20,000 of them exhausted its fds): past maxHTTPConns they wait in the backlog, and a
// connection that never speaks is closed after the header timeout.
func TestPanelIdleConnections(t *testing.T) {
	l, err := NewServer(demoTable(), "test").Listen("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := url.Parse(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	before := openFDs(t)
	const idle = maxHTTPConns + 32
	var conns []net.Conn
	for range idle {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	held := func() int { return openFDs(t) - before - len(conns) }
	testenv.Eventually(t, func() bool { return held() >= maxHTTPConns }, 10*time.Second, "the server to accept up to its cap")
	if got := held(); got > maxHTTPConns+8 {
		t.Fatalf("the server holds %d descriptors for %d idle connections, want at most the cap of %d", got, idle, maxHTTPConns)
	}
	silent := conns[0]
	for _, c := range conns[1:] {
		c.Close()
	}
	conns = conns[:1]
	res, err := (&http.Client{Timeout: 10 * time.Second}).Get(l.URL + "api/ps")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the panel after the idle connections closed: %v %v", err, res)
	}
	res.Body.Close()
	start := time.Now()
	silent.SetReadDeadline(time.Now().Add(3 * httpHeaderTimeout))
	if n, err := silent.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection that sent nothing is still open after %v (read %d, %v)", time.Since(start), n, err)
	}
	silent.Close()
}
