package drivers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// loadImage copies the executable at path into a sealed memfd while hashing it and checks the
// digest. The child executes the memfd, so the bytes that run are exactly the bytes that were
// hashed: replacing or rewriting the file after the check changes nothing.
func loadImage(path, digest string) (*os.File, error) {
	want, err := parseDigest(digest)
	if err != nil {
		return nil, err
	}
	src, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("driver binary: %w (reinstall the driver package)", err)
	}
	defer src.Close()
	if st, err := src.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("driver binary %s is not a regular file", path)
	}
	fd, err := unix.MemfdCreate("orbital-driver-image", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("driver image: memfd_create: %w", err)
	}
	img := os.NewFile(uintptr(fd), "orbital-driver-image")
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(img, h), src); err != nil {
		img.Close()
		return nil, fmt.Errorf("driver binary %s: %w", path, err)
	}
	got := h.Sum(nil)
	if string(got) != string(want) {
		img.Close()
		return nil, &DigestError{Path: path, Want: "sha256:" + hex.EncodeToString(want), Got: hex.EncodeToString(got)}
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(img.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		img.Close()
		return nil, fmt.Errorf("driver image: seal: %w", err)
	}
	return img, nil
}

// FileDigest returns "sha256:<hex>" of the file at path, the form Spec.Digest takes.
func FileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
