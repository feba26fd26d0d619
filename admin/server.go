package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Server serves the panel over HTTP. Create it with NewServer; it is an http.Handler.
type Server struct {
	ctl   Controller
	token string
	csrf  string
	title string
	mux   *http.ServeMux
	now   func() time.Time
}

// NewServer returns a panel for ctl with fresh random tokens. title names the instance
// ("Orbital shell", "orbital run").
func NewServer(ctl Controller, title string) *Server {
	s := &Server{ctl: NewSampler(ctl), token: randomToken(), csrf: randomToken(), title: title, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t/{token}/{$}", s.page)
	mux.HandleFunc("GET /t/{token}/api/ps", s.apiPS)
	mux.HandleFunc("GET /t/{token}/api/logs", s.apiLogs)
	mux.HandleFunc("POST /t/{token}/api/{action}", s.apiAction)
	mux.HandleFunc("GET /t/{token}/api/jobs", s.apiJobs)
	mux.HandleFunc("GET /t/{token}/api/nodes", s.apiNodes)
	mux.HandleFunc("GET /t/{token}/api/installed", s.apiInstalled)
	mux.HandleFunc("POST /t/{token}/api/start", s.apiStart)
	mux.HandleFunc("GET /t/{token}/metrics", s.metrics)
	s.mux = mux
	return s
}

func randomToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("admin: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// Token is the per-boot secret in every URL of the panel.
func (s *Server) Token() string { return s.token }

// URL is the panel's address when it listens on addr.
func (s *Server) URL(addr net.Addr) string {
	return fmt.Sprintf("http://%s/t/%s/", addr.String(), s.token)
}

// ServeHTTP checks the token before any route sees the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/t/")
	tok, _, _ := strings.Cut(rest, "/")
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) != 1 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintln(w, "401 unauthorized: this Orbital admin panel needs its per-boot token; run `orbital admin` for the URL")
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

type pageData struct {
	Title string
	CSRF  string
	Rows  []row
	Now   string
}

type row struct {
	Proc
	Uptime string
	CPUStr string
	MemStr string
}

func (s *Server) rows() []row {
	now := s.now()
	procs := s.ctl.Processes()
	out := make([]row, len(procs))
	for i, p := range procs {
		out[i] = row{Proc: p, Uptime: FormatDuration(p.Uptime(now)), CPUStr: FormatDuration(p.CPU), MemStr: FormatBytes(p.Memory)}
	}
	return out
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
	d := pageData{Title: s.title, CSRF: s.csrf, Rows: s.rows(), Now: s.now().Format(time.RFC3339)}
	if err := pageTemplate.Execute(w, d); err != nil {
		http.Error(w, "admin: render page: "+err.Error(), http.StatusInternalServerError)
	}
}

func (s *Server) apiPS(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"now": s.now(), "procs": s.processes(r)})
}

func (s *Server) apiLogs(w http.ResponseWriter, r *http.Request) {
	pid, err := parsePID(r.URL.Query().Get("pid"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	n := 200
	if v := r.URL.Query().Get("n"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n <= 0 || n > 10000 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("n=%q: want a line count from 1 to 10000", v))
			return
		}
	}
	lines, err := s.ctl.Logs(pid, n)
	if err != nil {
		writeError(w, statusOf(err), fmt.Errorf("logs of pid %d: %w", pid, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"pid": pid, "lines": lines})
}

func (s *Server) apiAction(w http.ResponseWriter, r *http.Request) {
	if err := s.checkCSRF(r); err != nil {
		writeError(w, http.StatusForbidden, err)
		return
	}
	var body struct {
		PID *uint32 `json:"pid"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil || body.PID == nil {
		writeError(w, http.StatusBadRequest, errors.New(`body must be JSON like {"pid": 3}`))
		return
	}
	pid := *body.PID
	var err error
	switch a := r.PathValue("action"); a {
	case "stop":
		err = s.ctl.Stop(pid)
	case "kill":
		err = s.ctl.Kill(pid)
	case "restart":
		err = s.ctl.Restart(pid)
	case "reload":
		s.apiReload(w, r, pid) // reload.go
		return
	default:
		writeError(w, http.StatusNotFound, fmt.Errorf("unknown action %q: want stop, kill, restart or reload", a))
		return
	}
	if err != nil {
		writeError(w, statusOf(err), fmt.Errorf("%s pid %d: %w", r.PathValue("action"), pid, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "pid": pid})
}

// checkCSRF accepts a state-changing request only with the per-boot CSRF token in its header
// and, when the browser names an origin, only from the panel's own origin.
func (s *Server) checkCSRF(r *http.Request) error {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Orbital-CSRF")), []byte(s.csrf)) != 1 {
		return errors.New("missing or wrong X-Orbital-CSRF header: actions must come from the panel page")
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return fmt.Errorf("cross-origin request from %q refused", o)
		}
	}
	return nil
}

func parsePID(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("pid=%q: want a process id (a number)", s)
	}
	return uint32(v), nil
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrNoProcess):
		return http.StatusNotFound
	case errors.Is(err, ErrProtected):
		return http.StatusForbidden
	case errors.Is(err, ErrNoReload):
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))
