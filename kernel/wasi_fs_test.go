package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbital/orbital/internal/testenv"
)

// Filesystem refusals are audited like every other door's (issue 18, defect 15), and a guest
// cannot leave a symlink pointing out of its grant (defect 14).
func TestFSRefusalsAuditedAndSymlinksConfined(t *testing.T) {
	ro, rw := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(ro, "existing"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(rw, "sub"), 0o755)
	st := policyHome(t, map[string]string{"fsprobe.toml": `[module]
match = "fsprobe"
[[fs]]
host = "` + ro + `"
guest = "/ro"
mode = "ro"
[[fs]]
host = "` + rw + `"
guest = "/rw"
mode = "rw"
`})
	k := newKernel(t, Config{Policies: st})
	m, err := k.LoadFile(testenv.Module(t, "fsprobe"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "stdout")
	args := []string{"write:/ro/x", "mkdir:/ro/d", "rm:/ro/existing", "rename:/ro/existing:/ro/y",
		"symlink:/etc/passwd:/rw/abs", "symlink:../../etc:/rw/up", "symlink:sub/../..:/rw/sneaky",
		"symlink:sub/f:/rw/ok", "write:/rw/fine", "read:/ro/existing"}
	in := wait(t, spawn(t, k, m, SpawnOptions{Name: "fsprobe", Args: args, Stdout: out}), 60*time.Second)
	if in.ExitCode != 0 {
		t.Fatalf("fsprobe: %v %s", in.State, in.Reason)
	}
	b, _ := os.ReadFile(out)
	got := string(b)
	for _, want := range []string{"ERR write /ro/x", "ERR mkdir /ro/d", "ERR rm /ro/existing", "ERR rename /ro/existing:/ro/y",
		"ERR symlink /etc/passwd:/rw/abs", "ERR symlink ../../etc:/rw/up", "ERR symlink sub/../..:/rw/sneaky",
		"OK symlink sub/f:/rw/ok", "OK write /rw/fine", "OK read /ro/existing"} {
		if !strings.Contains(got, want) {
			t.Errorf("fsprobe output lacks %q:\n%s", want, got)
		}
	}
	for _, name := range []string{"abs", "up", "sneaky"} {
		if _, err := os.Lstat(filepath.Join(rw, name)); err == nil {
			t.Errorf("a symlink %s was left on the host", name)
		}
	}
	audit := auditLines(t, st)
	for _, want := range []string{"fsprobe fs open /ro/x", "fsprobe fs mkdir /ro/d", "fsprobe fs unlink /ro/existing",
		"fsprobe fs rename /ro/existing", "fsprobe fs symlink /rw/abs -> /etc/passwd", "fsprobe fs symlink /rw/up -> ../../etc"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %q:\n%s", want, audit)
		}
	}
	if strings.Contains(audit, "fine") || strings.Contains(audit, "/rw/ok") || strings.Contains(audit, "read /ro/existing") {
		t.Errorf("allowed operations were audited:\n%s", audit)
	}
}
