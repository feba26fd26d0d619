package policies

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenFileConfined(t *testing.T) {
	dir := t.TempDir()
	pre, ro, outside := filepath.Join(dir, "pre"), filepath.Join(dir, "ro"), filepath.Join(dir, "outside")
	for _, d := range []string{pre, ro, outside, filepath.Join(pre, "sub")} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	os.WriteFile(filepath.Join(pre, "in"), []byte("in"), 0o644)
	os.WriteFile(filepath.Join(ro, "r"), []byte("r"), 0o644)
	os.Symlink("../outside/secret", filepath.Join(pre, "rel-link"))
	os.Symlink(outside, filepath.Join(pre, "abs-link"))
	os.Symlink("sub", filepath.Join(pre, "inner-link"))
	set := &Set{Policies: []*Policy{mustParse(t, "p.toml", `[module]
match = "m"
[[fs]]
host = "`+pre+`"
guest = "/data"
mode = "rw"
[[fs]]
host = "`+ro+`"
guest = "/ro"
mode = "ro"
`)}}
	ns, err := set.Resolve(Identity{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		flag   int
		ok     bool
		denied bool // refused by policy (DeniedError) rather than by os.Root
	}{
		{"/data/in", os.O_RDONLY, true, false},
		{"/data/sub/../in", os.O_RDONLY, true, false},
		{"/data/inner-link", os.O_RDONLY, true, false},
		{"/data/new", os.O_WRONLY | os.O_CREATE, true, false},
		{"/ro/r", os.O_RDONLY, true, false},
		{"/data/../outside/secret", os.O_RDONLY, false, false},
		{"/data/sub/../../outside/secret", os.O_RDONLY, false, false},
		{"/data/rel-link", os.O_RDONLY, false, false},
		{"/data/abs-link/secret", os.O_RDONLY, false, false},
		{outside + "/secret", os.O_RDONLY, false, true},
		{"/etc/passwd", os.O_RDONLY, false, true},
		{"/database", os.O_RDONLY, false, true},
		{"/ro/r", os.O_WRONLY, false, true},
		{"/ro/new", os.O_WRONLY | os.O_CREATE, false, true},
	} {
		f, err := ns.OpenFile(tc.path, tc.flag, 0o644)
		if f != nil {
			f.Close()
		}
		if (err == nil) != tc.ok || (err != nil && errors.Is(err, ErrDenied) != tc.denied) {
			t.Errorf("OpenFile(%q, %#x) = %v; want ok=%v denied=%v", tc.path, tc.flag, err, tc.ok, tc.denied)
		}
	}
	if _, err := os.Stat(filepath.Join(ro, "new")); err == nil {
		t.Error("a file was created in the read-only preopen")
	}
}
