package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// Server is an HTTP module registry backed by a Registry (its own home): others search it,
// fetch packages from it and publish signed packages to it. See remote.go for the API.
type Server struct {
	Reg *Registry
	// MaxUpload caps a published archive (default 256 MiB).
	MaxUpload int64
	// RequireTrusted refuses publishers missing from the server home's trust list.
	RequireTrusted bool
	// Log receives one line per publish and per refused request (default: standard logger).
	Log func(string)
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
		b, err := pkg.Archive()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
		return
	}
	http.Error(w, "no module "+name+"@"+version, http.StatusNotFound)
}

func (s *Server) publish(w http.ResponseWriter, req *http.Request) {
	max := s.MaxUpload
	if max <= 0 {
		max = 256 << 20
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, max))
	if err != nil {
		http.Error(w, fmt.Sprintf("upload refused: %v (cap %d bytes)", err, max), http.StatusRequestEntityTooLarge)
		return
	}
	refuse := func(code int, err error) {
		s.logf("registry: publish refused: %v", err)
		http.Error(w, err.Error(), code)
	}
	pkg, err := LoadPackage(body, "upload")
	if err != nil {
		refuse(http.StatusBadRequest, err)
		return
	}
	m := pkg.Manifest
	if err := VerifySignature(m); err != nil {
		refuse(http.StatusBadRequest, fmt.Errorf("%w (sign it with orbital sign before publishing)", err))
		return
	}
	if s.RequireTrusted {
		trust, err := LoadTrust(s.Reg.TrustPath())
		if err != nil {
			refuse(http.StatusInternalServerError, err)
			return
		}
		if !trust.Trusted(m.Publisher) {
			refuse(http.StatusForbidden, fmt.Errorf("%w: %s is not allowed to publish here", ErrUntrusted, m.Publisher))
			return
		}
	}
	recs, err := s.Reg.List(m.Name)
	if err != nil {
		refuse(http.StatusInternalServerError, err)
		return
	}
	for _, rec := range recs {
		if rec.Publisher != m.Publisher {
			refuse(http.StatusForbidden, fmt.Errorf("%s is published here by %s; %s may not publish versions of it", m.Name, rec.Publisher, m.Publisher))
			return
		}
	}
	rec, _, err := s.Reg.installPackage(req.Context(), pkg, origin{Source: "publish from " + req.RemoteAddr},
		&InstallOptions{AllowDowngrade: true})
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, ErrConflict) {
			code = http.StatusConflict
		}
		refuse(code, err)
		return
	}
	s.logf("registry: published %s by %s", rec.ID(), rec.Publisher)
	writeJSON(w, http.StatusCreated, rec)
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
