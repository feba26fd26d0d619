package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orbital/orbital/internal/netx"
	"github.com/orbital/orbital/internal/tomlguard"
)

// Server is an HTTP module registry backed by a Registry (its own home): others search it,
// fetch packages from it and publish signed packages to it. See remote.go for the API. Serve
// runs it with the HTTP limits of ServerLimits; ServeHTTP alone is the handler.
type Server struct {
	Reg *Registry
	// Limits bound what the server accepts and holds at once; zero fields take
	// DefaultServerLimits.
	Limits ServerLimits
	// RequireTrusted refuses publishers missing from the server home's trust list.
	RequireTrusted bool
	// Log receives one line per publish and per refused request (default: standard logger).
	Log func(string)

	once      sync.Once
	uploads   chan struct{} // one token per publish in flight
	downloads chan struct{} // one token per package being served
}

// ServerLimits bound a registry server (docs/design/limits.md has the reasons and figures).
type ServerLimits struct {
	MaxUpload   int64 // a published archive as sent (gzip)
	MaxManifest int64 // its module.toml, the only part read before the signature is checked
	MaxUnpacked int64 // its files, decompressed, once the signature holds
	Uploads     int   // publishes in flight; more get 503 at once
	Downloads   int   // package downloads in flight; more get 503 at once
	MaxConns    int   // open connections; more wait in the listen backlog
	// HTTP timeouts: the request header, the whole request (an upload included), the
	// response, and an idle keep-alive connection.
	HeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// DefaultServerLimits keep a server under 256 MB however many hostile uploads arrive at once:
// an upload holds at most MaxManifest before its signature is checked and MaxUnpacked after.
var DefaultServerLimits = ServerLimits{
	MaxUpload: 64 << 20, MaxManifest: int64(tomlguard.Default.MaxBytes), MaxUnpacked: 64 << 20,
	Uploads: 2, Downloads: 4, MaxConns: 64,
	HeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 2 * time.Minute,
	IdleTimeout: time.Minute,
}

func (l ServerLimits) withDefaults() ServerLimits {
	d := DefaultServerLimits
	pick := func(v *int64, dv int64) {
		if *v <= 0 {
			*v = dv
		}
	}
	pickN := func(v *int, dv int) {
		if *v <= 0 {
			*v = dv
		}
	}
	pickT := func(v *time.Duration, dv time.Duration) {
		if *v <= 0 {
			*v = dv
		}
	}
	pick(&l.MaxUpload, d.MaxUpload)
	pick(&l.MaxManifest, d.MaxManifest)
	pick(&l.MaxUnpacked, d.MaxUnpacked)
	pickN(&l.Uploads, d.Uploads)
	pickN(&l.Downloads, d.Downloads)
	pickN(&l.MaxConns, d.MaxConns)
	pickT(&l.HeaderTimeout, d.HeaderTimeout)
	pickT(&l.ReadTimeout, d.ReadTimeout)
	pickT(&l.WriteTimeout, d.WriteTimeout)
	pickT(&l.IdleTimeout, d.IdleTimeout)
	return l
}

func (s *Server) init() {
	s.once.Do(func() {
		s.Limits = s.Limits.withDefaults()
		s.uploads = make(chan struct{}, s.Limits.Uploads)
		s.downloads = make(chan struct{}, s.Limits.Downloads)
	})
}

// acquire takes a token from sem without waiting; false when all are taken (the caller answers
// 503: a queue of waiting uploads would hold their connections and bodies anyway).
func acquire(sem chan struct{}) (release func(), ok bool) {
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, true
	default:
		return nil, false
	}
}

func busy(w http.ResponseWriter, what string, n int) {
	w.Header().Set("Retry-After", "1")
	http.Error(w, fmt.Sprintf("registry busy: %d %s in flight (the server's cap); try again shortly", n, what), http.StatusServiceUnavailable)
}

// Serve serves the registry on ln until ctx is cancelled, then shuts down (waiting up to 5 s
// for requests in flight). The server gets the header, read, write and idle timeouts of
// Limits and at most Limits.MaxConns open connections; errLog (may be nil) receives net/http's
// own errors and accept errors.
func (s *Server) Serve(ctx context.Context, ln net.Listener, errLog *log.Logger) error {
	s.init()
	l := s.Limits
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: l.HeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          errLog,
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	// netx.Steady: Accept backs off on errors (EMFILE) instead of ending the server, and holds
	// connections past MaxConns in the listen backlog.
	logf := func(string, ...any) {}
	if errLog != nil {
		logf = errLog.Printf
	}
	err := hs.Serve(netx.Steady(ln, l.MaxConns, logf))
	if errors.Is(err, http.ErrServerClosed) {
		<-stopped
		return nil
	}
	return err
}

func (s *Server) logf(f string, a ...any) {
	if s.Log != nil {
		s.Log(fmt.Sprintf(f, a...))
		return
	}
	log.Printf(f, a...)
}

// ServeHTTP routes the registry API.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s.init()
	p := strings.TrimPrefix(req.URL.Path, apiPrefix)
	switch {
	case p == "/search" && req.Method == http.MethodGet:
		s.search(w, req)
	case p == "/publish" && req.Method == http.MethodPost:
		s.publish(w, req)
	case strings.HasPrefix(p, "/modules/") && req.Method == http.MethodGet:
		rest := strings.TrimPrefix(p, "/modules/")
		name, file, hasFile := strings.Cut(rest, "/")
		if !hasFile {
			s.versions(w, name)
			return
		}
		s.pkg(w, name, strings.TrimSuffix(file, ".tar.gz"))
	default:
		http.Error(w, "not found: the registry API is under /v1 (search, modules, publish)", http.StatusNotFound)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) search(w http.ResponseWriter, req *http.Request) {
	n, _ := strconv.Atoi(req.URL.Query().Get("n"))
	hits, err := s.Reg.Search(req.URL.Query().Get("q"), n)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if hits == nil {
		hits = []Hit{}
	}
	writeJSON(w, http.StatusOK, hits)
}

func (s *Server) versions(w http.ResponseWriter, name string) {
	recs, err := s.Reg.List(name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if len(recs) == 0 {
		http.Error(w, "no module "+name, http.StatusNotFound)
		return
	}
	mv := moduleVersions{Name: name}
	for _, r := range recs {
		mv.Versions = append(mv.Versions, r.Version)
	}
	writeJSON(w, http.StatusOK, mv)
}

func (s *Server) pkg(w http.ResponseWriter, name, version string) {
	release, ok := acquire(s.downloads)
	if !ok {
		busy(w, "downloads", s.Limits.Downloads)
		return
	}
	defer release()
	recs, err := s.Reg.List(name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, rec := range recs {
		if rec.Version != version {
			continue
		}
		pkg, err := s.Reg.PackageOf(rec)
		if err != nil {
			s.logf("registry: serving %s: %v", rec.ID(), err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/gzip")
		if err := pkg.WriteArchive(w); err != nil { // streamed: a client sees a cut-off body
			s.logf("registry: serving %s: %v", rec.ID(), err)
		}
		return
	}
	http.Error(w, "no module "+name+"@"+version, http.StatusNotFound)
}

// publish accepts a signed package. The body is streamed: only module.toml is decompressed
// before the signature, trust and publisher checks (readUpload); the publisher check is made
// again under the install lock, where it is authoritative (InstallOptions.KeepPublisher).
func (s *Server) publish(w http.ResponseWriter, req *http.Request) {
	release, ok := acquire(s.uploads)
	if !ok {
		busy(w, "uploads", s.Limits.Uploads)
		return
	}
	defer release()
	refuse := func(code int, err error) {
		s.logf("registry: publish refused: %v", err)
		http.Error(w, err.Error(), code)
	}
	l := s.Limits
	body := http.MaxBytesReader(w, req.Body, l.MaxUpload)
	pkg, err := readUpload(body, l.MaxManifest, l.MaxUnpacked, s.vet)
	if err != nil {
		refuse(publishStatus(err), err)
		return
	}
	rec, _, err := s.Reg.installPackage(req.Context(), pkg, origin{Source: "publish from " + req.RemoteAddr},
		&InstallOptions{AllowDowngrade: true, KeepPublisher: true})
	if err != nil {
		refuse(publishStatus(err), err)
		return
	}
	s.logf("registry: published %s by %s", rec.ID(), rec.Publisher)
	writeJSON(w, http.StatusCreated, rec)
}

// vet checks an upload's manifest before the rest of it is read: a valid signature, a trusted
// key when the server requires one, and the name's first publisher.
func (s *Server) vet(m *Manifest) error {
	if err := VerifySignature(m); err != nil {
		return fmt.Errorf("%w (sign it with orbital sign before publishing)", err)
	}
	if s.RequireTrusted {
		trust, err := LoadTrust(s.Reg.TrustPath())
		if err != nil {
			return err
		}
		if !trust.Trusted(m.Publisher) {
			return fmt.Errorf("%w: %s is not allowed to publish here", ErrUntrusted, m.Publisher)
		}
	}
	recs, err := s.Reg.List(m.Name)
	if err != nil {
		return err
	}
	return keepsPublisher(m, recs)
}

func publishStatus(err error) int {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrUntrusted), errors.Is(err, ErrPublisher):
		return http.StatusForbidden
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrBusy):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// PackageOf rebuilds an installed version's package from the store, verifying every digest.
func (r *Registry) PackageOf(rec *Record) (*Package, error) {
	res, err := r.Load(rec)
	if err != nil {
		return nil, err
	}
	pkg := &Package{Manifest: res.Manifest, Entry: res.WASM, Files: map[string][]byte{}}
	for f, d := range rec.Files {
		b, err := os.ReadFile(r.BlobPath(d))
		if err != nil {
			return nil, fmt.Errorf("registry: %s: file %s: %w", rec.ID(), f, err)
		}
		if err := checkDigest(f, b, d); err != nil {
			return nil, err
		}
		pkg.Files[f] = b
	}
	return pkg, nil
}
