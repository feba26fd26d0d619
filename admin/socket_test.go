package admin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A home whose path is far longer than a unix socket address (108 bytes) still gets its
// socket inside the home, never a fixed name in /tmp (issue 18, defect 10).
func TestControlSocketLongHome(t *testing.T) {
	home := filepath.Join(t.TempDir(), strings.Repeat("h", 150), strings.Repeat("o", 100))
	path := ControlSocketPath(home)
	if !strings.HasPrefix(path, home+string(filepath.Separator)) {
		t.Fatalf("ControlSocketPath(%s) = %s, outside the home", home, path)
	}
	cs, err := ListenControl(path, demoTable())
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if st, err := os.Stat(filepath.Dir(path)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory: %v %v", err, st.Mode())
	}
	if procs, _, err := (ControlClient{Path: path}).Processes(t.Context()); err != nil || len(procs) != 3 {
		t.Fatalf("ps through a long home: %v %v", procs, err)
	}
	cs.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("socket left after Close: %v", err)
	}
}

// The server tightens its own loose directory; the client refuses one others may enter, and
// a symlink in place of the directory.
func TestControlSocketDirChecks(t *testing.T) {
	home := t.TempDir()
	path := ControlSocketPath(home)
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(path), 0o777)
	cs, err := ListenControl(path, demoTable())
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Dir(path)); st.Mode().Perm() != 0o700 {
		t.Fatalf("loose directory kept mode %v", st.Mode())
	}
	os.Chmod(filepath.Dir(path), 0o755)
	_, _, err = (ControlClient{Path: path}).Processes(t.Context())
	if !errors.Is(err, ErrNotPrivate) || !strings.Contains(err.Error(), "0755") {
		t.Fatalf("client through a 0755 directory: %v, want a refusal naming the mode", err)
	}
	cs.Close()

	other := t.TempDir()
	link := filepath.Join(t.TempDir(), "run")
	if err := os.Symlink(other, link); err != nil {
		t.Fatal(err)
	}
	if _, err := ListenControl(filepath.Join(link, "control.sock"), demoTable()); !errors.Is(err, ErrNotPrivate) {
		t.Fatalf("listen through a symlinked directory: %v", err)
	}
	if _, _, err := (ControlClient{Path: filepath.Join(link, "control.sock")}).Processes(t.Context()); !errors.Is(err, ErrNotPrivate) {
		t.Fatalf("dial through a symlinked directory: %v", err)
	}
}

// The client asks the kernel who serves the socket and sends nothing to another user.
func TestControlClientChecksServerUID(t *testing.T) {
	tb := demoTable()
	path := ControlSocketPath(t.TempDir())
	cs, err := ListenControl(path, tb)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	someoneElse := os.Getuid() + 1
	c := ControlClient{Path: path, uid: &someoneElse}
	// The directory check names the uid too; let it pass and reach the peer check.
	if err := os.Chown(filepath.Dir(path), someoneElse, -1); err != nil {
		t.Skipf("cannot chown the socket directory to another uid (not root): %v", err)
	}
	err = c.Do(t.Context(), "kill", 2)
	os.Chown(filepath.Dir(path), os.Getuid(), -1)
	if !errors.Is(err, ErrNotPrivate) || !strings.Contains(err.Error(), "served by uid") {
		t.Fatalf("kill through a socket served by another uid: %v", err)
	}
	tb.mu.Lock()
	acted := len(tb.actions)
	tb.mu.Unlock()
	if acted != 0 {
		t.Fatalf("the server acted on %v: the request was sent", tb.actions)
	}
}
