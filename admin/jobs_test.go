package admin

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scheduler is a table that also offers jobs, installed modules and Start.
type scheduler struct {
	*table
	started []string
}

func (s *scheduler) Jobs() []Job {
	return []Job{{Module: "tick", Trigger: "@every 1s", State: "idle", Runs: 3, Skips: 1, LastExit: "exit 0",
		LastRun: time.Now().Add(-time.Second), NextRun: time.Now().Add(time.Second)}}
}

func (s *scheduler) Installed() []Module {
	return []Module{{Name: "clock", Version: "1.0.0", Kind: "app", Running: true}, {Name: "life", Version: "1.0.0", Kind: "app"}}
}

func (s *scheduler) Start(name string) (uint32, error) {
	if name != "life" {
		return 0, errors.New(name + " is not installed")
	}
	s.started = append(s.started, name)
	return 7, nil
}

func TestJobsControlSocket(t *testing.T) {
	sc := &scheduler{table: demoTable()}
	path := filepath.Join(t.TempDir(), "run", "control.sock")
	cs, err := ListenControl(path, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	c := ControlClient{Path: path}
	jobs, now, err := c.Jobs(t.Context())
	if err != nil || len(jobs) != 1 || jobs[0].Runs != 3 {
		t.Fatalf("jobs: %v %v", jobs, err)
	}
	var buf bytes.Buffer
	WriteJobs(&buf, jobs, now)
	for _, want := range []string{"MODULE", "TRIGGER", "tick", "@every 1s", " ago", "in "} {
		if !strings.Contains(buf.String(), want) {
			t.Fatalf("jobs table lacks %q:\n%s", want, buf.String())
		}
	}
	if mods, err := c.Installed(t.Context()); err != nil || len(mods) != 2 {
		t.Fatalf("installed: %v %v", mods, err)
	}
	if pid, err := c.Start(t.Context(), "life"); err != nil || pid != 7 {
		t.Fatalf("start: %d %v", pid, err)
	}
	if _, err := c.Start(t.Context(), "nosuch"); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Fatalf("start nosuch: %v", err)
	}
	// A Controller without jobs says so.
	plain := filepath.Join(t.TempDir(), "run", "control.sock")
	cs2, err := ListenControl(plain, demoTable())
	if err != nil {
		t.Fatal(err)
	}
	defer cs2.Close()
	if _, _, err := (ControlClient{Path: plain}).Jobs(t.Context()); err == nil || !strings.Contains(err.Error(), ErrNoScheduler.Error()) {
		t.Fatalf("jobs of a plain controller: %v", err)
	}
}

func TestJobsHTTP(t *testing.T) {
	sc := &scheduler{table: demoTable()}
	s := NewServer(sc, "test")
	base := "/t/" + s.Token() + "/api/"
	if w := do(t, s, "GET", base+"jobs", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `"module":"tick"`) || !strings.Contains(w.Body.String(), `"last_exit":"exit 0"`) {
		t.Fatalf("api/jobs: %d %s", w.Code, w.Body)
	}
	if w := do(t, s, "GET", base+"installed", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `"name":"life"`) {
		t.Fatalf("api/installed: %d %s", w.Code, w.Body)
	}
	ok := map[string]string{"X-Orbital-CSRF": s.csrf}
	for _, c := range []struct {
		body string
		hdr  map[string]string
		code int
	}{
		{`{"name":"life"}`, nil, http.StatusForbidden},
		{`{}`, ok, http.StatusBadRequest},
		{`{"name":"nosuch"}`, ok, http.StatusConflict},
		{`{"name":"life"}`, ok, http.StatusOK},
	} {
		if w := do(t, s, "POST", base+"start", c.body, c.hdr); w.Code != c.code {
			t.Fatalf("start %s: %d, want %d: %s", c.body, w.Code, c.code, w.Body)
		}
	}
	if fmt.Sprint(sc.started) != "[life]" {
		t.Fatalf("started %v", sc.started)
	}
	if w := do(t, NewServer(demoTable(), "t"), "GET", "/t/x/api/jobs", "", nil); w.Code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", w.Code)
	}
	plain := NewServer(demoTable(), "test")
	if w := do(t, plain, "GET", "/t/"+plain.Token()+"/api/jobs", "", nil); w.Code != http.StatusNotFound {
		t.Fatalf("jobs of a plain controller: %d", w.Code)
	}
	if w := do(t, s, "GET", "/t/"+s.Token()+"/", "", nil); !strings.Contains(w.Body.String(), `id="jobs"`) || !strings.Contains(w.Body.String(), "data-start") {
		t.Fatal("the page has no jobs and installed tables")
	}
}
