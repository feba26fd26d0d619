package policies

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTOMLBombRefused: a policy file nested far past the decoder's stack, or too large, is a
// broken policy naming the file and line, not a crash of every process that loads policies.
func TestTOMLBombRefused(t *testing.T) {
	dir := t.TempDir()
	bomb := "[module]\nmatch = \"x\"\n[env]\nA = " + strings.Repeat("[", 400_000) + "\n"
	huge := "[module]\nmatch = \"y\"\n# " + strings.Repeat("x", 2<<20) + "\n"
	for name, body := range map[string]string{"bomb.toml": bomb, "huge.toml": huge} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pols := LoadDir(dir, Expand{})
	if len(pols) != 2 {
		t.Fatalf("want 2 policies, got %d", len(pols))
	}
	for _, p := range pols {
		if p.Err == nil {
			t.Fatalf("%s accepted", p.File)
		}
	}
	if got := pols[0].Err.Error(); !strings.HasPrefix(got, filepath.Join(dir, "bomb.toml")+":4: ") || !strings.Contains(got, "nested more than 16 deep") {
		t.Fatalf("bomb: %v", got)
	}
	if got := pols[1].Err.Error(); !strings.HasPrefix(got, filepath.Join(dir, "huge.toml")+": ") || !strings.Contains(got, "over the 1048576-byte limit") {
		t.Fatalf("huge: %v", got)
	}
	if _, err := ParseRequests("m.toml", []byte(bomb[strings.Index(bomb, "[env]"):]), Expand{}); err == nil || !strings.Contains(err.Error(), "m.toml:2: ") {
		t.Fatalf("requests bomb: %v", err)
	}
}
