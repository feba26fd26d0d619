package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.toml")
	if c, err := LoadConfig(p); err != nil || len(c.Registries) != 0 {
		t.Fatalf("missing file: %+v %v", c, err)
	}
	os.WriteFile(p, []byte("[shell]\ntheme = \"dark\"\n\n[registry]\nremotes = [\"http://127.0.0.1:7070\"]\n"), 0o644)
	c, err := LoadConfig(p)
	if err != nil || len(c.Registries) != 1 || c.Registries[0] != "http://127.0.0.1:7070" {
		t.Fatalf("config: %+v %v", c, err)
	}
	for body, want := range map[string]string{
		"[registry]\nremotes = [\"x\"]\nmirrors = []\n": "config.toml:3: unknown key registry.mirrors",
		"[registry]\nremotes = [\"ftp://x\"]\n":         `"ftp://x" is not an http(s) URL`,
		"[registry]\nremotes = \"x\n":                   "config.toml:2:",
	} {
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
	// Open takes the remotes from the home's config.
	os.WriteFile(p, []byte("[registry]\nremotes = [\"http://127.0.0.1:1\"]\n"), 0o644)
	r, err := Open(dir)
	if err != nil || len(r.Remotes) != 1 {
		t.Fatalf("Open: %v %+v", err, r)
	}
}
