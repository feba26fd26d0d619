package admin

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/orbital/orbital/internal/netx"
)

// Listener is a panel being served on a loopback address.
type Listener struct {
	URL     string
	srv     *http.Server
	urlFile string
	done    chan struct{}
	once    sync.Once
}

// Listen serves s on addr, which must be a loopback address ("127.0.0.1:0" picks a free port),
// and writes the panel's URL to urlFile with mode 0600 (atomically: temp file, then rename).
func (s *Server) Listen(addr, urlFile string) (*Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("admin: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("admin: listen address %q: the panel serves on loopback only (use 127.0.0.1:PORT)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	l := &Listener{URL: s.URL(ln.Addr()), srv: newHTTPServer(s), urlFile: urlFile, done: make(chan struct{})}
	if urlFile != "" {
		if err := netx.WriteURLFile(urlFile, []byte(l.URL+"\n")); err != nil {
			ln.Close()
			return nil, fmt.Errorf("admin: write %s: %w", urlFile, err)
		}
	}
	go func() {
		defer close(l.done)
		if err := l.srv.Serve(netx.Steady(ln, maxHTTPConns, l.srv.ErrorLog.Printf)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "orbital: admin panel stopped: %v\n", err)
		}
	}()
	return l, nil
}

// The panel's HTTP limits (docs/design/limits.md). A browser page refreshes once a second over
// one or two keep-alive connections; nothing legitimate needs more than these. A connection
// that sends nothing is closed after httpHeaderTimeout, an idle keep-alive one after
// httpIdleTimeout, and past maxHTTPConns open connections new ones wait in the backlog, so no
// number of local connections can take the instance's file descriptors.
const (
	maxHTTPConns      = 128
	httpHeaderTimeout = 5 * time.Second
	httpReadTimeout   = 10 * time.Second
	httpWriteTimeout  = 30 * time.Second
	httpIdleTimeout   = 30 * time.Second
	httpMaxHeader     = 16 << 10
)

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: httpHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeader,
		ErrorLog:          log.New(os.Stderr, "orbital: admin panel: ", 0),
	}
}

// Close stops the server and removes the URL file. Closing twice is harmless.
func (l *Listener) Close() error {
	l.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		l.srv.Shutdown(ctx)
		<-l.done
		if l.urlFile != "" {
			os.Remove(l.urlFile)
		}
	})
	return nil
}
