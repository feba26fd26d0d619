package netx

import (
	"os"
	"path/filepath"
)

// WriteURLFile writes a server's URL to path with mode 0600, atomically (a temporary file in
// the same directory, synced, then renamed), creating the directory 0700: the admin panel's
// run/admin.url and the HTTP routes' run/http.url, which other local users must not read.
func WriteURLFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".url-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
