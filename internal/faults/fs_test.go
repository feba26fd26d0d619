package faults

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// Defect 15: a write into a read-only grant failed in the guest, but `orbital audit` said "no
// denials recorded". Defect 14: a guest could leave symlinks to outside paths inside a
// read-write grant.
func TestFilesystemRefusals(t *testing.T) {
	h := home(t, nil)
	ro, rw := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(ro, "notes"), []byte("keep"), 0o644)
	r := orbital(t, 60*time.Second, "run", "--home", h, "--dir", ro+"::/ro:ro", "--dir", rw+"::/rw",
		testenv.Module(t, "fsprobe"), "--", "write:/ro/notes", "rm:/ro/notes", "symlink:/home:/rw/escape",
		"symlink:../..:/rw/up", "symlink:notes:/rw/fine")
	if r.code != 0 {
		t.Fatalf("fsprobe: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"ERR write /ro/notes", "ERR rm /ro/notes", "ERR symlink /home:/rw/escape", "ERR symlink ../..:/rw/up", "OK symlink notes:/rw/fine"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("fsprobe output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, name := range []string{"escape", "up"} {
		if _, err := os.Lstat(filepath.Join(rw, name)); err == nil {
			t.Errorf("the guest left a symlink %s pointing out of its grant", name)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(ro, "notes")); string(b) != "keep" {
		t.Errorf("the read-only file changed: %q", b)
	}
	a := orbital(t, 30*time.Second, "audit", "--home", h)
	for _, want := range []string{"open /ro/notes", "unlink /ro/notes", "symlink /rw/escape -> /home", "symlink /rw/up -> ../.."} {
		if !strings.Contains(a.stdout, want) {
			t.Errorf("orbital audit lacks %q:\n%s%s", want, a.stdout, a.stderr)
		}
	}
}
