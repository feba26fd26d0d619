package system

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbital/orbital/backup"
	"github.com/orbital/orbital/registry"
	"github.com/orbital/orbital/storage"
)

// TestBackupLiveAndRestore backs a running instance's home up (storage copied by the
// instance, the registry under its read lock), restores it into a new home and finds the same
// modules, policies and data there; a restore over the running home is refused.
func TestBackupLiveAndRestore(t *testing.T) {
	in, _ := start(t, Config{Panel: true})
	home := in.Home()
	installAs(t, home, "hello", "hello", "")
	os.MkdirAll(filepath.Join(home, "policies"), 0o700)
	os.WriteFile(filepath.Join(home, "policies", "hello.toml"), []byte("[module]\nmatch = \"hello\"\n[storage]\nkv = \"1MiB\"\n"), 0o600)
	os.WriteFile(filepath.Join(home, "keys-not-taken"), nil, 0o600)
	os.MkdirAll(filepath.Join(home, "keys"), 0o700)
	os.WriteFile(filepath.Join(home, "keys", "publisher.key"), []byte("secret"), 0o600)
	db, err := in.store.DB("hello", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Put([]byte("history/1"), []byte("up"), 1<<20); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "home.tar.gz")
	var last, total int64
	m, err := Backup(context.Background(), home, archive, BackupOptions{Progress: func(d, tt int64) { last, total = d, tt }})
	db.Release()
	if err != nil {
		t.Fatal(err)
	}
	if last != total || total != m.Bytes {
		t.Errorf("progress ended at %d of %d; the archive holds %d bytes", last, total, m.Bytes)
	}
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Path)
	}
	joined := strings.Join(names, "\n")
	for _, want := range []string{"policies/hello.toml", "registry/state.db", "storage/local/hello.db", "registry/modules/hello/1.0.0/hello.wasm"} {
		if !strings.Contains(joined, want) {
			t.Errorf("backup lacks %s:\n%s", want, joined)
		}
	}
	for _, never := range []string{"run/", "cache/", "keys/", "index.bleve"} {
		if strings.Contains(joined, never) {
			t.Errorf("backup holds %s:\n%s", never, joined)
		}
	}
	if _, _, err := Restore(home, archive, backup.RestoreOptions{Force: true}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("restore over the running home: %v", err)
	}

	dst := filepath.Join(t.TempDir(), "restored")
	if _, _, err := Restore(dst, archive, backup.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := reg.List("hello")
	if err != nil || len(recs) != 1 {
		t.Fatalf("restored registry: %v %v", recs, err)
	}
	if _, err := reg.Load(recs[0]); err != nil {
		t.Fatal(err)
	}
	if hits, err := reg.Search("hello", 5); err != nil || len(hits) == 0 {
		t.Fatalf("search in the restored home (index rebuilt): %v %v", hits, err)
	}
	st := storage.Open(StorageDir(dst))
	defer st.Close()
	rdb, err := st.DB("hello", "")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Release()
	if v, err := rdb.Get([]byte("history/1")); err != nil || string(v) != "up" {
		t.Fatalf("restored storage: %q %v", v, err)
	}
	if _, _, err := Restore(dst, archive, backup.RestoreOptions{}); !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("restore into a full home: %v", err)
	}
}

// TestBackupWithoutInstance takes the home's lock itself, and --with-keys takes the keys.
func TestBackupWithoutInstance(t *testing.T) {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "keys"), 0o700)
	os.WriteFile(filepath.Join(home, "keys", "publisher.key"), []byte("secret"), 0o600)
	st := storage.Open(StorageDir(home))
	db, err := st.DB("m", "")
	if err != nil {
		t.Fatal(err)
	}
	db.Put([]byte("k"), []byte("v"), 100)
	db.Release()
	st.Close()
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	m, err := Backup(context.Background(), home, archive, BackupOptions{WithKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range m.Files {
		got = append(got, f.Path)
	}
	if strings.Join(got, ",") != "keys/publisher.key,storage/local/m.db" {
		t.Fatalf("files %v", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(home, "run")); len(ents) != 1 { // the lock file only
		t.Errorf("run/ holds %d entries after the backup", len(ents))
	}
}
