package faults

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/admin"
)

// Defect 9: one EMFILE ended the control socket's accept loop for good; `orbital ps` then
// timed out for the rest of the instance's life. Here the instance runs with few file
// descriptors, a crowd of local connections exhausts them, and once the crowd leaves `orbital
// ps` must answer again.
func TestControlSocketSurvivesEMFILE(t *testing.T) {
	h := home(t, nil)
	out := running(t, h, "ulimit -n 56;")
	var crowd []net.Conn
	for range 200 {
		c, err := net.DialTimeout("unix", admin.ControlSocketPath(h), 2*time.Second)
		if err != nil {
			break // the backlog is full: the crowd is big enough
		}
		crowd = append(crowd, c)
	}
	t.Logf("%d idle connections to the control socket of a process limited to 56 descriptors", len(crowd))
	for _, c := range crowd {
		c.Close()
	}
	_, stderr, code := psOf(t, h)
	if code != 0 {
		t.Fatalf("orbital ps after the descriptors came back: exit %d\n%s\nthe instance's output:\n%s", code, stderr, out)
	}
	if !strings.Contains(out.String(), "too many open files") {
		t.Fatalf("the instance never ran out of descriptors, so this test proved nothing; lower its ulimit. Its output:\n%s", out)
	}
}

// Defect 10: with a home path of 83+ characters the socket went to a fixed, computable name
// in /tmp, which another local user could bind first. Now it stays in the home's private
// run/ directory whatever the home's length.
func TestControlSocketLongHomeStaysInHome(t *testing.T) {
	h := filepath.Join(home(t, nil), strings.Repeat("long-home-", 12))
	if err := os.MkdirAll(h, 0o700); err != nil {
		t.Fatal(err)
	}
	running(t, h, "")
	sock := admin.ControlSocketPath(h)
	if st, err := os.Lstat(sock); err != nil || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("no socket at %s (home of %d bytes): %v", sock, len(h), err)
	}
	sum := sha256.Sum256([]byte(h))
	old := filepath.Join(os.TempDir(), "orbital-"+hex.EncodeToString(sum[:8])+".sock")
	if _, err := os.Lstat(old); err == nil {
		t.Fatalf("a socket at the guessable %s", old)
	}
	if st, err := os.Stat(filepath.Dir(sock)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory %s: %v mode %v, want 0700", filepath.Dir(sock), err, st.Mode())
	}
}
