package registry

import (
	"archive/tar"
	"fmt"
	"io"
)

// readUpload reads a published package from a stream, checking as it goes so that a hostile
// upload costs little: module.toml must be the first entry (orbital pack and publish write it
// first) and at most maxManifest bytes; vet (the signature and publisher checks) runs on it
// before any other entry is decompressed; then only files the signed manifest lists are read,
// each allocated once at its header's size, together at most maxFiles bytes. The result has
// passed every check LoadPackage makes.
func readUpload(r io.Reader, maxManifest, maxFiles int64, vet func(*Manifest) error) (*Package, error) {
	const name = "upload"
	files := map[string][]byte{}
	var m *Manifest
	var total int64
	err := walkArchive(r, name, DefaultArchiveLimits.MaxEntries, func(h *tar.Header, clean string, body io.Reader) error {
		if m == nil {
			var mb []byte
			var err error
			if m, mb, err = readUploadManifest(body, h, clean, maxManifest); err != nil {
				return err
			}
			files[ManifestFile] = mb
			return vet(m)
		}
		want, listed := m.Files[clean]
		if clean == m.Entry {
			want, listed = m.EntryDigest, true
		}
		if !listed {
			return archiveErr(name, "file %q is not listed in the signed %s", h.Name, ManifestFile)
		}
		if h.Size > maxFiles-total {
			return archiveErr(name, "entry %q: %d bytes takes the package over the server's %d-byte cap", h.Name, h.Size, maxFiles)
		}
		b := make([]byte, h.Size)
		if _, err := io.ReadFull(body, b); err != nil {
			return archiveErr(name, "entry %q: %v", h.Name, err)
		}
		if err := checkDigest(name+"/"+clean, b, want); err != nil {
			return err // before anything parses what the publisher did not sign
		}
		total += h.Size
		files[clean] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, archiveErr(name, "empty package: no %s", ManifestFile)
	}
	return packageFromFiles(files, name)
}

// readUploadManifest reads and parses the first entry of an upload, which must be module.toml.
func readUploadManifest(tr io.Reader, h *tar.Header, clean string, max int64) (*Manifest, []byte, error) {
	if clean != ManifestFile {
		return nil, nil, archiveErr("upload", "the first entry is %q; a published package starts with %s (orbital publish writes it so)", h.Name, ManifestFile)
	}
	if h.Size > max {
		return nil, nil, archiveErr("upload", "%s is %d bytes, over the %d-byte cap", ManifestFile, h.Size, max)
	}
	b := make([]byte, h.Size)
	if _, err := io.ReadFull(tr, b); err != nil {
		return nil, nil, archiveErr("upload", "%s: %v", ManifestFile, err)
	}
	m, err := ParseManifest(b, "upload/"+ManifestFile)
	if err != nil {
		return nil, nil, err
	}
	if m.Signature == "" || m.EntryDigest == "" {
		return nil, nil, fmt.Errorf("%w: %s has no publisher signature (sign it with orbital sign before publishing)", ErrUnsigned, m.ID())
	}
	return m, b, nil
}
