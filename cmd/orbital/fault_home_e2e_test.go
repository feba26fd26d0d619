package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbital/orbital/internal/testenv"
)

// The home is off-limits to modules (issue 18, defect 3): granted a directory that contains
// the Orbital home, a module could edit its own policy file, read the admin token and the
// publisher's key. Such a preopen is refused, whoever asks for it; loose policy files and
// directories are refused at load; policy check says why.

// homeUnderUser makes a user home with the Orbital home at its default place inside it.
func homeUnderUser(t *testing.T) (user, home string, env []string) {
	t.Helper()
	user = t.TempDir()
	home = filepath.Join(user, ".local", "share", "orbital")
	if err := os.MkdirAll(filepath.Join(home, "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	return user, home, []string{"HOME=" + user, "ORBITAL_HOME="}
}

func TestFaultHomePreopenRefused(t *testing.T) {
	user, home, env := homeUnderUser(t)
	probe := testenv.Module(t, "fsprobe")
	own := filepath.Join(home, "policies", "fsprobe.toml")
	// The attack: rw on ~ holds the home; the module rewrites its own policy.
	writeFile(t, own, "[module]\nmatch = \"fsprobe\"\n[[fs]]\nhost = \"~\"\nguest = \"/u\"\nmode = \"rw\"\n")
	out, errOut, code := orbitalRun(t, env, "run", "--home", home, probe, "--",
		"write:/u/.local/share/orbital/policies/fsprobe.toml")
	if code != exitUsage || strings.Contains(out, "OK write") || !strings.Contains(errOut, "contains the Orbital home") {
		t.Fatalf("a preopen of ~ holding the home: exit %d (want %d, refused)\nstdout:\n%s\nstderr:\n%s", code, exitUsage, out, errOut)
	}
	if data, _ := os.ReadFile(own); !strings.Contains(string(data), "host = \"~\"") {
		t.Fatalf("the module rewrote its own policy: %q", data)
	}
	out, _, code = orbitalRun(t, env, "policy", "check", "--home", home)
	if code != 1 || !strings.Contains(out, "fsprobe.toml:4: error: fs.0.host: "+user+" contains the Orbital home") {
		t.Fatalf("policy check: exit %d\n%s", code, out)
	}
	// Inside the home is refused too, except data/.
	writeFile(t, own, "[module]\nmatch = \"fsprobe\"\n[[fs]]\nhost = \"$ORBITAL_HOME/run\"\nguest = \"/r\"\nmode = \"ro\"\n")
	if _, errOut, code := orbitalRun(t, env, "run", "--home", home, probe, "--", "list:/r"); code != exitUsage || !strings.Contains(errOut, "is inside the Orbital home") {
		t.Fatalf("a preopen inside the home: exit %d\n%s", code, errOut)
	}
	data := filepath.Join(home, "data", "probe")
	os.MkdirAll(data, 0o755)
	writeFile(t, filepath.Join(data, "f"), "x")
	writeFile(t, own, "[module]\nmatch = \"fsprobe\"\n[[fs]]\nhost = \"$ORBITAL_HOME/data/probe\"\nguest = \"/d\"\nmode = \"ro\"\n")
	if out, errOut, code := orbitalRun(t, env, "run", "--home", home, probe, "--", "read:/d/f"); code != 0 || !strings.Contains(out, `OK read /d/f "x"`) {
		t.Fatalf("$ORBITAL_HOME/data is grantable: exit %d\n%s%s", code, out, errOut)
	}
	// The command line cannot hand it out either.
	os.Remove(own)
	if out, errOut, code := orbitalRun(t, env, "run", "--home", home, "--dir", home+"::/h", probe, "--", "list:/h"); code == 0 || !strings.Contains(errOut, "contains the Orbital home") {
		t.Fatalf("--dir of the home: exit %d\n%s%s", code, out, errOut)
	}
	// A symlink to the home is the home.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(home, link); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := orbitalRun(t, env, "run", "--home", home, "--dir", link+"::/h", probe, "--", "list:/h"); code == 0 || !strings.Contains(errOut, "contains the Orbital home") {
		t.Fatalf("--dir of a link to the home: exit %d\n%s", code, errOut)
	}
}

func TestFaultLoosePolicyFilesRefused(t *testing.T) {
	_, home, env := homeUnderUser(t)
	probe := testenv.Module(t, "fsprobe")
	shared := t.TempDir()
	writeFile(t, filepath.Join(shared, "f"), "x")
	pol := filepath.Join(home, "policies")
	own := filepath.Join(pol, "fsprobe.toml")
	writeFile(t, own, "[module]\nmatch = \"fsprobe\"\n[[fs]]\nhost = \""+shared+"\"\nguest = \"/s\"\nmode = \"ro\"\n")
	if out, errOut, code := orbitalRun(t, env, "run", "--home", home, probe, "--", "read:/s/f"); code != 0 || !strings.Contains(out, "OK read") {
		t.Fatalf("a tidy policy: exit %d\n%s%s", code, out, errOut)
	}
	for _, tc := range []struct {
		name, path string
		mode       os.FileMode
		want       string
	}{
		{"directory 0777", pol, 0o777, "policies directory " + pol + " is writable by its group and everyone (mode 0777)"},
		{"directory 0775", pol, 0o775, "policies directory " + pol + " is writable by its group (mode 0775)"},
		{"file 0666", own, 0o666, "policy file " + own + " is writable by its group and everyone (mode 0666)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.Chmod(tc.path, tc.mode); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(pol, 0o755)
			defer os.Chmod(own, 0o644)
			out, errOut, code := orbitalRun(t, env, "run", "--home", home, probe, "--", "read:/s/f")
			if code != exitUsage || strings.Contains(out, "OK read") || !strings.Contains(errOut, tc.want) {
				t.Fatalf("run: exit %d (want %d, refused)\nstdout:\n%s\nstderr:\n%s", code, exitUsage, out, errOut)
			}
			out, _, code = orbitalRun(t, env, "policy", "check", "--home", home)
			if code != 1 || !strings.Contains(out, "fsprobe.toml: error: "+tc.want) {
				t.Fatalf("policy check: exit %d\n%s", code, out)
			}
		})
	}
}

func TestFaultPolicyCheckWarnsOnRiskyGrants(t *testing.T) {
	user, home, env := homeUnderUser(t)
	pol := filepath.Join(home, "policies")
	writeFile(t, filepath.Join(pol, "root.toml"), "[module]\nmatch = \"rooty\"\n[[fs]]\nhost = \"/\"\nguest = \"/\"\nmode = \"ro\"\n")
	writeFile(t, filepath.Join(pol, "dots.toml"), "[module]\nmatch = \"dotty\"\n[[fs]]\nhost = \""+t.TempDir()+"\"\nguest = \"/a/../../etc\"\nmode = \"ro\"\n")
	out, _, code := orbitalRun(t, env, "policy", "check", "--home", home)
	for _, want := range []string{
		"root.toml:4: error: fs.0.host: / contains the Orbital home",
		`dots.toml:5: warning: fs.0.guest: "/a/../../etc" normalises to "/etc"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("policy check lacks %q", want)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if t.Failed() {
		t.Logf("output:\n%s (user home %s)", out, user)
	}
}
