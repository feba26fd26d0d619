package admin

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// acceptedOn counts the established TCP sockets of this machine whose local port is port and
// that belong to a file (inode not 0): the connections a server on port has accepted.
func acceptedOn(t *testing.T, port int) int {
	t.Helper()
	n := 0
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 || fs[3] != "01" || fs[9] == "0" {
				continue
			}
			_, hexPort, ok := strings.Cut(fs[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 32); ok && err == nil && int(p) == port {
				n++
			}
		}
	}
	return n
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
	_, portStr, _ := net.SplitHostPort(u.Host)
	port, _ := strconv.Atoi(portStr)
	const idle = maxHTTPConns + 32
	var conns []net.Conn
	for range idle {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	// The connections the server holds: accepted sockets on its port (a connection still in
	// the backlog has no file, inode 0). Counted from /proc/net/tcp rather than from this
	// process's descriptor count, which other tests' closing descriptors move.
	held := func() int { return acceptedOn(t, port) }
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
