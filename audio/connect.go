package audio

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/jfreymuth/pulse/proto"
)

// dialTimeout bounds one connection attempt to a sound server, and requestTimeout each
// request on it (authentication, the stream's creation). proto.Connect dials without a
// timeout: a `tcp:` server behind a firewall that drops packets held a cart's voice for the
// system's TCP timeout (minutes).
const (
	dialTimeout    = 3 * time.Second
	requestTimeout = time.Second
)

// serverAddr is one entry of a PulseAudio server string.
type serverAddr struct {
	network, addr string
	localname     string // "{host}" prefix: only on the machine of that name
}

// parseServer splits a server string as libpulse does ("unix:/path", "/path", "tcp:host",
// "tcp:host:port", "tcp4:", "tcp6:", each optionally "{localname}"-prefixed, separated by
// spaces); a TCP address without a port gets PulseAudio's 4713. Entries it cannot read are
// skipped.
func parseServer(s string) []serverAddr {
	var out []serverAddr
	for _, f := range strings.Fields(s) {
		var a serverAddr
		if strings.HasPrefix(f, "{") {
			end := strings.IndexByte(f, '}')
			if end < 0 {
				continue
			}
			a.localname, f = f[1:end], f[end+1:]
		}
		switch {
		case strings.HasPrefix(f, "/"):
			a.network, a.addr = "unix", f
		case strings.HasPrefix(f, "unix:"):
			a.network, a.addr = "unix", f[len("unix:"):]
		default:
			network, host, ok := strings.Cut(f, ":")
			if !ok || (network != "tcp" && network != "tcp4" && network != "tcp6") || host == "" {
				continue
			}
			if _, _, err := net.SplitHostPort(host); err != nil {
				host = net.JoinHostPort(strings.Trim(host, "[]"), "4713")
			}
			a.network, a.addr = network, host
		}
		if a.addr == "" {
			continue
		}
		out = append(out, a)
	}
	return out
}

// connect opens a client on the first server of s that answers and accepts this user's
// cookie (or an anonymous one), as proto.Connect does, with each dial and request bounded.
func connect(s string) (*proto.Client, net.Conn, error) {
	addrs := parseServer(s)
	if len(addrs) == 0 {
		return nil, nil, fmt.Errorf("no usable address in the server string %q", s)
	}
	host, _ := os.Hostname()
	cookie := cookie()
	var last error
	for _, a := range addrs {
		if a.localname != "" && a.localname != host {
			continue
		}
		conn, err := net.DialTimeout(a.network, a.addr, dialTimeout)
		if err != nil {
			last = err
			continue
		}
		c := &proto.Client{}
		c.SetTimeout(requestTimeout)
		c.Open(conn)
		var rpl proto.AuthReply
		if err := c.Request(&proto.Auth{Version: c.Version(), Cookie: cookie}, &rpl); err != nil {
			conn.Close()
			last = fmt.Errorf("%s %s: %w", a.network, a.addr, err)
			continue
		}
		c.SetVersion(rpl.Version)
		return c, conn, nil
	}
	if last == nil {
		last = errors.New("no address of it is for this machine")
	}
	return nil, nil, last
}

// cookie is the user's PulseAudio cookie ($PULSE_COOKIE, else ~/.config/pulse/cookie), or
// 256 zero bytes, which a server run with auth-anonymous accepts.
func cookie() []byte {
	path := os.Getenv("PULSE_COOKIE")
	if path == "" {
		home, _ := os.UserHomeDir()
		path = home + "/.config/pulse/cookie"
	}
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return b
	}
	return make([]byte, 256)
}
