package httproute

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orbital/orbital/internal/netx"
)

// Caller delivers one request to a process of a module and returns its reply. The instance
// implements it over the bus (package system); tests use a function.
type Caller interface {
	// Call sends msg to one process of module, starting one when none runs, and waits for its
	// reply until ctx ends. Errors: ErrNoReply when ctx ended first, ErrCrashed when the
	// process ended without replying, ErrUnavailable when no process could take the request.
	Call(ctx context.Context, module string, msg Message) (Message, error)
}

// Message is what travels each way: the encoded request or reply, and a body too large for
// the message itself (nil: none), which travels in a region.
type Message struct {
	Payload []byte
	Region  []byte
	// Release, on a reply, is the Caller's: the server calls it once it no longer uses
	// Payload and Region (nil: nothing to do), so a Caller may reuse their memory.
	Release func()
}

// Errors a Caller returns, each mapped to a status.
var (
	ErrNoReply     = errors.New("no reply in time")                  // 504
	ErrCrashed     = errors.New("the module ended without replying") // 502
	ErrUnavailable = errors.New("the module cannot take requests")   // 502 (503 when busy)
	ErrBusy        = errors.New("the module's inbox is full")        // 503
)

// Config configures a Server.
type Config struct {
	Caller Caller
	// MaxPayload is the largest message the bus carries: a request whose encoding is larger
	// sends its body in a region.
	MaxPayload int
	Logf       func(format string, args ...any) // nil: standard error
	Limits     Limits                           // zero fields: the defaults below
}

// Limits are the server's own bounds (per connection), apart from each route's.
type Limits struct {
	MaxConns                                              int
	HeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                        int
}

// Server limits (docs/design/limits.md): a client gets HeaderTimeout to send its header (a
// slowloris client is cut off then), ReadTimeout for the whole request, WriteTimeout for the
// answer; at most MaxConns connections are open (more wait in the backlog) and a header is
// at most MaxHeaderBytes (431 past it).
const (
	MaxConns       = 128
	HeaderTimeout  = 5 * time.Second
	ReadTimeout    = 30 * time.Second
	WriteTimeout   = 60 * time.Second
	IdleTimeout    = 30 * time.Second
	MaxHeaderBytes = 16 << 10
)

// Server serves the route table on a loopback address. New starts nothing; Listen serves.
type Server struct {
	cfg   Config
	table atomic.Pointer[table]
	mu    sync.Mutex // serialises SetRoutes

	srv  *http.Server
	url  string
	file string
	done chan struct{}
	once sync.Once
}

// New returns a server with an empty route table.
func New(cfg Config) *Server {
	if cfg.Logf == nil {
		l := log.New(os.Stderr, "orbital: http: ", 0)
		cfg.Logf = l.Printf
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = 1 << 20
	}
	l := &cfg.Limits
	pick := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	pick(&l.HeaderTimeout, HeaderTimeout)
	pick(&l.ReadTimeout, ReadTimeout)
	pick(&l.WriteTimeout, WriteTimeout)
	pick(&l.IdleTimeout, IdleTimeout)
	if l.MaxConns <= 0 {
		l.MaxConns = MaxConns
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = MaxHeaderBytes
	}
	s := &Server{cfg: cfg}
	s.table.Store(newTable(nil, nil))
	return s
}

// SetRoutes replaces the route table; requests in flight finish on the old one.
func (s *Server) SetRoutes(routes []Route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.table.Store(newTable(routes, s.table.Load()))
}

// Routes returns the route table.
func (s *Server) Routes() []Route { return s.table.Load().list() }

// Listen serves on addr, a loopback address ("127.0.0.1:0" picks a free port), and writes the
// server's URL to urlFile (mode 0600; "" writes none).
func (s *Server) Listen(addr, urlFile string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("http: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("http: listen address %q: routes are served on loopback only (use 127.0.0.1:PORT)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("http: %w", err)
	}
	s.url = "http://" + ln.Addr().String()
	if urlFile != "" {
		if err := netx.WriteURLFile(urlFile, []byte(s.url+"\n")); err != nil {
			ln.Close()
			return "", fmt.Errorf("http: write %s: %w", urlFile, err)
		}
		s.file = urlFile
	}
	l := s.cfg.Limits
	s.srv = &http.Server{
		Handler: s, ReadHeaderTimeout: l.HeaderTimeout, ReadTimeout: l.ReadTimeout, WriteTimeout: l.WriteTimeout,
		IdleTimeout: l.IdleTimeout, MaxHeaderBytes: l.MaxHeaderBytes, ErrorLog: log.New(logWriter{s.cfg.Logf}, "", 0),
	}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(netx.Steady(ln, l.MaxConns, s.cfg.Logf)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logf("stopped: %v", err)
		}
	}()
	return s.url, nil
}

// URL is where the server listens ("" before Listen).
func (s *Server) URL() string { return s.url }

// Close stops serving (requests in flight get 2 s) and removes the URL file. Twice is harmless.
func (s *Server) Close() {
	s.once.Do(func() {
		if s.srv == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.srv.Shutdown(ctx)
		<-s.done
		if s.file != "" {
			os.Remove(s.file)
		}
	})
}

type logWriter struct{ logf func(string, ...any) }

func (l logWriter) Write(p []byte) (int, error) {
	l.logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// ServeHTTP routes one request to its module.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if why := badPath(r); why != "" {
		http.Error(w, "bad request: "+why, http.StatusBadRequest)
		return
	}
	rt, redirect := s.table.Load().match(p)
	if rt == nil {
		if redirect != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			u := redirect
			if r.URL.RawQuery != "" {
				u += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, u, http.StatusMovedPermanently)
			return
		}
		http.Error(w, "no module serves "+p, http.StatusNotFound)
		return
	}
	if r.Method == http.MethodConnect {
		http.Error(w, "CONNECT is not served", http.StatusMethodNotAllowed)
		return
	}
	if !rt.limit.Allow() {
		w.Header().Set("Retry-After", "1")
		http.Error(w, fmt.Sprintf("too many requests for %s (at most %d a second)", rt.Prefix, rt.Rate), http.StatusTooManyRequests)
		return
	}
	if r.ContentLength > rt.Body {
		http.Error(w, fmt.Sprintf("request body of %d bytes; %s takes at most %d", r.ContentLength, rt.Prefix, rt.Body), http.StatusRequestEntityTooLarge)
		return
	}
	var body []byte
	var err error
	if r.Body != http.NoBody { // net/http's for a request without a body
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, rt.Body))
	}
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			http.Error(w, fmt.Sprintf("request body over %d bytes", rt.Body), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.dispatch(w, r, rt, body)
}

// dispatch sends the request to the route's module and writes its reply.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, rt *route, body []byte) {
	req := &Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Route: rt.Prefix,
		Header: requestHeader(r), BodyLen: int64(len(body)), Body: body}
	msg := Message{Payload: EncodeRequest(nil, req)}
	if len(msg.Payload) > s.cfg.MaxPayload {
		req.InRegion, req.Body = true, nil
		msg = Message{Payload: EncodeRequest(nil, req), Region: body}
	}
	ctx, cancel := context.WithTimeout(r.Context(), rt.Timeout)
	defer cancel()
	rep, err := s.cfg.Caller.Call(ctx, rt.Module, msg)
	if rep.Release != nil {
		defer rep.Release()
	}
	if err != nil {
		status := statusFor(err, ctx)
		if status == http.StatusGatewayTimeout {
			err = fmt.Errorf("%s did not reply within %v", rt.Module, rt.Timeout)
		}
		s.cfg.Logf("%s %s -> %s: %d %v", r.Method, r.URL.Path, rt.Module, status, err)
		http.Error(w, fmt.Sprintf("%s: %v", rt.Module, err), status)
		return
	}
	reply, err := DecodeReply(rep.Payload)
	if err == nil && reply.InRegion {
		if int64(len(rep.Region)) < reply.BodyLen {
			err = fmt.Errorf("%w: a body of %d bytes in a region of %d", ErrFormat, reply.BodyLen, len(rep.Region))
		} else {
			reply.Body = rep.Region[:reply.BodyLen]
		}
	}
	if err != nil {
		s.cfg.Logf("%s %s -> %s: bad reply: %v", r.Method, r.URL.Path, rt.Module, err)
		http.Error(w, fmt.Sprintf("%s sent a reply that is not an HTTP reply: %v", rt.Module, err), http.StatusBadGateway)
		return
	}
	writeReply(w, reply)
}

// statusFor maps a Caller's error to the answer's status.
func statusFor(err error, ctx context.Context) int {
	switch {
	case errors.Is(err, ErrNoReply) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return http.StatusGatewayTimeout
	case errors.Is(err, ErrBusy):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}

// hopHeaders are the connection's own, never copied between client and module.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

func requestHeader(r *http.Request) http.Header {
	h := r.Header.Clone()
	for _, k := range hopHeaders {
		if k != "Content-Length" {
			h.Del(k)
		}
	}
	if r.Host != "" {
		h.Set("Host", r.Host)
	}
	return h
}

func writeReply(w http.ResponseWriter, rep *Reply) {
	h := w.Header()
	for k, vs := range rep.Header {
		h[k] = vs
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
	h.Set("Content-Length", strconv.Itoa(len(rep.Body)))
	w.WriteHeader(rep.Status)
	w.Write(rep.Body)
}

// badPath says why a request's path is refused ("" when it is fine): an encoded slash or
// backslash (the module would see a different path than routing did), a "." or ".."
// segment, "//", a backslash or a control character.
func badPath(r *http.Request) string {
	p, raw := r.URL.Path, strings.ToLower(r.URL.EscapedPath())
	switch {
	case !strings.HasPrefix(p, "/"):
		return "the path must start with /"
	case strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c"):
		return "encoded slashes are not allowed in the path"
	case strings.ContainsAny(p, "\\"):
		return "backslashes are not allowed in the path"
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return "control characters are not allowed in the path"
		}
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean != p {
		return `"//", "." and ".." segments are not allowed in the path`
	}
	return ""
}
