package kernel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/orbital/orbital/bus"
	"github.com/orbital/orbital/policies"
)

// The network family of the host ABI (docs/abi.md, "Network"): http_fetch, an HTTP(S) request
// made by the host on the guest's behalf. A guest has no sockets (WASI preview 1 gives none),
// so this is its only way out, and every host:port it reaches is checked against the
// namespace's net.allow list: the first URL, every redirect, and once more when a connection
// is dialled (a pooled connection is shared by processes, so the check cannot rely on the
// dial alone). The response head and body arrive in one region the process holds (they can be
// large, and a region is how Orbital hands big buffers to a guest); it counts against the
// process's region limits, and the body is refused with ERR_TOO_BIG when it would not fit.
//
// net/http is the client: it follows redirects (at most fetchMaxRedirects, each checked),
// speaks HTTP/1.1 and HTTP/2 over TLS with the system's roots, and pools connections. No proxy
// is used (a proxy from the environment would make the dial address the proxy's, not the
// one the policy names).
func init() {
	registerHostFuncs(
		hostFunc{name: "http_fetch", params: kinds(i32, i32, i32, i32, i32, i32, i32, i32, i32, i64), results: kinds(i32), fn: hostHTTPFetch},
	)
	registerErrorCode(errNetworkFailed, errNetwork)
}

// errNetworkFailed marks a fetch that failed on the network (ERR_NETWORK).
var errNetworkFailed = errors.New("network request failed")

const (
	fetchMaxURL       = 8 << 10  // bytes of URL
	fetchMaxHeaders   = 64 << 10 // bytes of request header lines
	fetchMaxBody      = 64 << 20 // bytes of request body
	fetchMaxRedirects = 10
	fetchOutLen       = 24 // status i32, handle u32, head_len u32, reserved u32, body_len i64
)

// fetchAllowKey carries the calling process's net check in a request's context, for the dialer.
type fetchAllowKey struct{}

var fetchTransport = &http.Transport{
	Proxy:                 nil,
	DialContext:           fetchDial,
	ForceAttemptHTTP2:     true,
	MaxIdleConns:          64,
	IdleConnTimeout:       90 * time.Second,
	TLSHandshakeTimeout:   15 * time.Second,
	ExpectContinueTimeout: time.Second,
}

var fetchDialer = &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}

// fetchDial dials addr (host:port as the URL named it) only if the requesting process may.
func fetchDial(ctx context.Context, network, addr string) (net.Conn, error) {
	allow, _ := ctx.Value(fetchAllowKey{}).(func(string) error)
	if allow == nil {
		return nil, fmt.Errorf("%w: dial %s outside a process's fetch", bus.ErrDenied, addr)
	}
	if err := allow(strings.ToLower(addr)); err != nil {
		return nil, err
	}
	return fetchDialer.DialContext(ctx, network, addr)
}

// hostPort is the host:port a URL reaches, with the scheme's default port.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// fetchRequest is what the guest asked for, copied out of its memory.
type fetchRequest struct {
	method, url string
	header      http.Header
	body        []byte
	timeout     time.Duration
}

// readFetchRequest copies and checks the guest's arguments; ok=false comes with the code.
func (c *call) readFetchRequest(a []wasmtime.Val) (r fetchRequest, code int32) {
	str := func(ptr, n int32, max int) (string, int32) {
		b, ok := c.bytes(ptr, n)
		if !ok {
			return "", errFault
		}
		if len(b) > max || !utf8.Valid(b) {
			return "", errInvalid
		}
		return string(b), 0
	}
	var hdr string
	if r.method, code = str(a[0].I32(), a[1].I32(), 16); code != 0 {
		return r, code
	}
	if r.url, code = str(a[2].I32(), a[3].I32(), fetchMaxURL); code != 0 {
		return r, code
	}
	if hdr, code = str(a[4].I32(), a[5].I32(), fetchMaxHeaders); code != 0 {
		return r, code
	}
	body, ok := c.bytes(a[6].I32(), a[7].I32())
	if !ok {
		return r, errFault
	}
	if len(body) > fetchMaxBody {
		return r, errTooBig
	}
	if _, ok := c.bytes(a[8].I32(), fetchOutLen); !ok {
		return r, errFault
	}
	switch t := a[9].I64(); {
	case t == 0:
		return r, errInvalid // a fetch cannot poll
	case t > 0:
		r.timeout = time.Duration(t)
	}
	if r.method == "" {
		r.method = http.MethodGet
	}
	for _, ch := range r.method {
		if ch < 'A' || ch > 'Z' {
			return r, errInvalid
		}
	}
	r.header = http.Header{}
	for line := range strings.SplitSeq(hdr, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return r, errInvalid
		}
		r.header.Add(k, strings.TrimSpace(v))
	}
	r.body = bytes.Clone(body)
	return r, 0
}

// http_fetch(method_ptr, method_len, url_ptr, url_len, headers_ptr, headers_len, body_ptr,
// body_len, out_ptr, timeout_ns) -> 0
func hostHTTPFetch(c *call, a []wasmtime.Val) []wasmtime.Val {
	req, code := c.readFetchRequest(a)
	if code != 0 {
		return one(code)
	}
	out := a[8].I32()
	var status int
	var head, body []byte
	var err error
	c.block(func() { status, head, body, err = c.fetch(req) })
	if err != nil {
		code := c.busCode(err)
		if code == errInternal || code == errNetwork || code == errInvalid || code == errTooBig {
			c.p.k.cfg.Log(c.p.pid, c.p.name, 2, "http_fetch: "+err.Error())
		}
		return one(code)
	}
	var h uint32
	if n := len(head) + len(body); n > 0 {
		if h, err = c.Bus().RegionGive(c.p.pid, head, body); err != nil {
			c.p.k.cfg.Log(c.p.pid, c.p.name, 2, "http_fetch "+req.url+": "+err.Error())
			return one(c.busCode(err))
		}
	}
	o, ok := c.bytes(out, fetchOutLen)
	if !ok { // cannot happen: checked before, and memory never shrinks
		if h != 0 {
			c.Bus().RegionRelease(c.p.pid, h)
		}
		return one(errFault)
	}
	binary.LittleEndian.PutUint32(o[0:], uint32(status))
	binary.LittleEndian.PutUint32(o[4:], h)
	binary.LittleEndian.PutUint32(o[8:], uint32(len(head)))
	binary.LittleEndian.PutUint32(o[12:], 0)
	binary.LittleEndian.PutUint64(o[16:], uint64(len(body)))
	return one(0)
}

// fetch performs the request for the calling process and returns the status, the response
// head ("Name: value\r\n" lines, sorted) and the body.
func (c *call) fetch(r fetchRequest) (status int, head, body []byte, err error) {
	u, err := url.Parse(r.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, nil, nil, invalidErr(fmt.Sprintf("%q is not an absolute http:// or https:// URL", r.url))
	}
	u.Fragment = ""
	p := c.p
	allow := func(hp string) error { return p.checkDoor(policies.OpNet, hp) }
	if err := allow(hostPort(u)); err != nil {
		return 0, nil, nil, err
	}
	ctx := context.WithValue(p.ctx, fetchAllowKey{}, allow)
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, r.timeout, bus.ErrTimeout)
		defer cancel()
	}
	hreq, err := http.NewRequestWithContext(ctx, r.method, u.String(), bytes.NewReader(r.body))
	if err != nil {
		return 0, nil, nil, invalidErr(fmt.Sprintf("%s %s: %v", r.method, r.url, err))
	}
	hreq.Header = r.header
	if hreq.Header.Get("User-Agent") == "" {
		hreq.Header.Set("User-Agent", "Orbital/"+fmt.Sprint(ABIVersion)+" ("+p.name+")")
	}
	client := &http.Client{Transport: fetchTransport, CheckRedirect: func(next *http.Request, via []*http.Request) error {
		if len(via) >= fetchMaxRedirects {
			return fmt.Errorf("%w: stopped after %d redirects", errNetworkFailed, len(via))
		}
		return allow(hostPort(next.URL))
	}}
	resp, err := client.Do(hreq)
	if err != nil {
		return 0, nil, nil, fetchError(ctx, r, err)
	}
	defer resp.Body.Close()
	room, err := c.Bus().RegionRoom(p.pid)
	if err != nil {
		return 0, nil, nil, err
	}
	head = formatHead(resp.Header)
	room -= int64(len(head))
	body, err = io.ReadAll(io.LimitReader(resp.Body, max(room, 0)+1))
	if err != nil {
		return 0, nil, nil, fetchError(ctx, r, err)
	}
	if int64(len(body)) > room {
		return 0, nil, nil, fmt.Errorf("%w: %s %s: the response is larger than the %d bytes of regions this process may still hold (its regions.bytes limit)",
			bus.ErrTooBig, r.method, r.url, max(room, 0))
	}
	return resp.StatusCode, head, body, nil
}

// invalidErr is a bad request from the guest (ERR_INVALID), worded for the process log.
type invalidErr string

func (e invalidErr) Error() string        { return string(e) }
func (e invalidErr) Is(target error) bool { return target == bus.ErrInvalid }

// fetchError classifies a failed request: stopped process, timeout, denial (a redirect or dial
// the namespace refused) or a network failure.
func fetchError(ctx context.Context, r fetchRequest, err error) error {
	switch {
	case errors.Is(context.Cause(ctx), bus.ErrTimeout):
		return fmt.Errorf("%w: %s %s: no complete response within %v", bus.ErrTimeout, r.method, r.url, r.timeout)
	case errors.Is(err, bus.ErrDenied), errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("%w: %s %s: %v", errNetworkFailed, r.method, r.url, err)
}

// formatHead writes the response header as "Name: value\r\n" lines in name order.
func formatHead(h http.Header) []byte {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteString("\r\n")
		}
	}
	return b.Bytes()
}
