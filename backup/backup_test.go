package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree writes files (path -> content) under a new directory and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func sources(dir string, names ...string) []Source {
	var out []Source
	for _, n := range names {
		out = append(out, Source{Name: n, Path: filepath.Join(dir, filepath.FromSlash(n))})
	}
	return out
}

// sample is a small valid backup: three files, one of them a hard link of another.
func sample(t testing.TB) []byte {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "registry/blobs"), 0o700)
	os.MkdirAll(filepath.Join(dir, "registry/modules/w"), 0o700)
	os.WriteFile(filepath.Join(dir, "registry/blobs/abc"), []byte("wasm bytes"), 0o644)
	os.Link(filepath.Join(dir, "registry/blobs/abc"), filepath.Join(dir, "registry/modules/w/w.wasm"))
	os.MkdirAll(filepath.Join(dir, "storage/local"), 0o700)
	os.WriteFile(filepath.Join(dir, "storage/local/w.db"), bytes.Repeat([]byte("kv"), 5000), 0o600)
	var buf bytes.Buffer
	if _, err := Write(&buf, Header{Home: dir}, sources(dir, "registry/blobs/abc", "registry/modules/w/w.wasm", "storage/local/w.db"), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	data := sample(t)
	h, m, err := Verify(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != Version || len(m.Files) != 3 || m.Files[1].Link != "registry/blobs/abc" || m.Bytes != 10+10000 {
		t.Fatalf("header %+v manifest %+v", h, m)
	}
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	os.WriteFile(archive, data, 0o600)
	home := filepath.Join(t.TempDir(), "home")
	var verified, restored int64
	_, _, err = Restore(archive, home, RestoreOptions{
		Verifying: func(d, total int64) { verified = d },
		Restoring: func(d, total int64) { restored = d },
	})
	if err != nil {
		t.Fatal(err)
	}
	if verified != int64(len(data)) || restored != int64(len(data)) {
		t.Errorf("progress: verified %d, restored %d of %d", verified, restored, len(data))
	}
	a, _ := os.Stat(filepath.Join(home, "registry/blobs/abc"))
	b, _ := os.Stat(filepath.Join(home, "registry/modules/w/w.wasm"))
	if !os.SameFile(a, b) {
		t.Error("the hard link was not restored as one")
	}
	got, _ := os.ReadFile(filepath.Join(home, "storage/local/w.db"))
	if len(got) != 10000 {
		t.Errorf("storage file: %d bytes", len(got))
	}
	if st, _ := os.Stat(filepath.Join(home, "storage/local/w.db")); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
}

// rebuild re-encodes a backup with edit applied to each entry's (header, content).
func rebuild(t *testing.T, data []byte, edit func(h *tar.Header, body []byte) []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	gw := gzip.NewWriter(&out)
	tw := tar.NewWriter(gw)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		body := new(bytes.Buffer)
		body.ReadFrom(tr)
		b := edit(h, body.Bytes())
		if b == nil {
			continue
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(b))
		}
		tw.WriteHeader(h)
		tw.Write(b)
	}
	tw.Close()
	gw.Close()
	return out.Bytes()
}

func TestBadBackups(t *testing.T) {
	good := sample(t)
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"not gzip", []byte("hello, this is not a backup at all"), ErrNotBackup},
		{"truncated early", good[:40], ErrTruncated},
		{"truncated middle", good[:len(good)/2], ErrTruncated},
		{"truncated at the end", good[:len(good)-3], ErrTruncated},
		{"flipped byte", flip(good, len(good)/2), ErrTampered},
		{"content changed", rebuild(t, good, func(h *tar.Header, b []byte) []byte {
			if h.Name == "storage/local/w.db" {
				b = append([]byte(nil), b...)
				b[100] ^= 1
			}
			return b
		}), ErrTampered},
		{"file dropped", rebuild(t, good, func(h *tar.Header, b []byte) []byte {
			if h.Name == "storage/local/w.db" {
				return nil
			}
			return b
		}), ErrTampered},
		{"manifest dropped", rebuild(t, good, func(h *tar.Header, b []byte) []byte {
			if h.Name == ManifestName {
				return nil
			}
			return b
		}), ErrTruncated},
		{"newer version", rebuild(t, good, func(h *tar.Header, b []byte) []byte {
			if h.Name == HeaderName {
				var m map[string]any
				json.Unmarshal(b, &m)
				m["version"] = Version + 1
				b, _ = json.Marshal(m)
			}
			return b
		}), ErrNewer},
		{"traversal", rebuild(t, good, func(h *tar.Header, b []byte) []byte {
			if h.Name == "storage/local/w.db" {
				h.Name = "storage/../../evil"
			}
			return b
		}), ErrInvalid},
		{"symlink", rebuild(t, good, func(h *tar.Header, b []byte) []byte {
			if h.Name == "registry/modules/w/w.wasm" {
				h.Typeflag, h.Linkname = tar.TypeSymlink, "/etc/passwd"
			}
			return b
		}), ErrInvalid},
		{"link out of the archive", rebuild(t, good, func(h *tar.Header, b []byte) []byte {
			if h.Name == "registry/modules/w/w.wasm" {
				h.Linkname = "../../etc/passwd"
			}
			return b
		}), ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Verify(bytes.NewReader(c.data), nil)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify: %v, want %v", err, c.want)
			}
			// Restore writes nothing: the home stays missing, no staging is left behind.
			parent := t.TempDir()
			archive := filepath.Join(parent, "b.tar.gz")
			os.WriteFile(archive, c.data, 0o600)
			home := filepath.Join(parent, "home")
			if _, _, err := Restore(archive, home, RestoreOptions{}); !errors.Is(err, c.want) {
				t.Fatalf("Restore: %v, want %v", err, c.want)
			}
			ents, _ := os.ReadDir(parent)
			if len(ents) != 1 {
				t.Fatalf("restore left %d entries beside the archive", len(ents)-1)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

func TestRestoreNotEmpty(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	os.WriteFile(archive, sample(t), 0o600)
	home := tree(t, map[string]string{"policies/old.toml": "x", "storage/local/old.db": "old"})
	if _, _, err := Restore(archive, home, RestoreOptions{}); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, "policies/old.toml")); err != nil {
		t.Fatal("the refused restore touched the home")
	}
	if _, _, err := Restore(archive, home, RestoreOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, "policies/old.toml")); err == nil {
		t.Error("the old home's files survived --force")
	}
	if _, err := os.Stat(filepath.Join(home, "storage/local/w.db")); err != nil {
		t.Error(err)
	}
	ents, _ := os.ReadDir(filepath.Dir(home))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".restore-") || strings.Contains(e.Name(), ".replaced-") {
			t.Errorf("left %s beside the home", e.Name())
		}
	}
}
