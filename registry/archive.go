package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Package is a module in memory: its manifest, entry module and extra files.
type Package struct {
	Manifest *Manifest
	Entry    []byte
	Files    map[string][]byte
	// Derived is set when the manifest was derived from a bare .wasm (DefaultManifest): it
	// requests no permissions of its own, so policy alone decides.
	Derived bool
}

// ArchiveLimits cap what the archive reader accepts; they are checked while streaming.
type ArchiveLimits struct {
	MaxEntries   int   // tar entries (files and directories)
	MaxFileBytes int64 // one file, uncompressed
	MaxTotal     int64 // all files, uncompressed
}

// DefaultArchiveLimits are generous for modules and small enough to stop a gzip bomb.
var DefaultArchiveLimits = ArchiveLimits{MaxEntries: 1000, MaxFileBytes: 128 << 20, MaxTotal: 256 << 20}

// ErrBadArchive is matched by every archive error (traversal, link, bomb, corrupt).
var ErrBadArchive = errors.New("registry: bad package archive")

func archiveErr(name, f string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadArchive, name, fmt.Sprintf(f, a...))
}

// ReadArchive reads a .tar.gz package. name labels errors. Entries must be regular files or
// directories with clean relative names (no "..", no absolute paths, no links or devices);
// counts and sizes are capped while reading, so a bomb stops at the cap.
func ReadArchive(r io.Reader, name string, lim ArchiveLimits) (map[string][]byte, error) {
	if lim.MaxEntries == 0 {
		lim = DefaultArchiveLimits
	}
	files := map[string][]byte{}
	var total int64
	err := walkArchive(r, name, lim.MaxEntries, func(h *tar.Header, clean string, body io.Reader) error {
		if h.Size > lim.MaxFileBytes || total+h.Size > lim.MaxTotal {
			return archiveErr(name, "entry %q: %d bytes is over the size cap", h.Name, h.Size)
		}
		// Read at most the cap + 1 whatever the header claims.
		b, err := io.ReadAll(io.LimitReader(body, min(lim.MaxFileBytes, lim.MaxTotal-total)+1))
		if err != nil {
			return archiveErr(name, "entry %q: %v", h.Name, err)
		}
		if int64(len(b)) > lim.MaxFileBytes || total+int64(len(b)) > lim.MaxTotal {
			return archiveErr(name, "entry %q: over the size cap", h.Name)
		}
		total += int64(len(b))
		files[clean] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// walkArchive reads a .tar.gz stream and calls fn for each regular file, in order, with its
// clean name and its body. It refuses a stream that is not gzip or tar, more than maxEntries
// entries, a name twice, and whatever entryName refuses; directories are skipped.
func walkArchive(r io.Reader, name string, maxEntries int, fn func(h *tar.Header, clean string, body io.Reader) error) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return archiveErr(name, "not a gzip file: %v", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	seen := map[string]bool{}
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return archiveErr(name, "corrupt archive: %v", err)
		}
		if n >= maxEntries {
			return archiveErr(name, "more than %d entries", maxEntries)
		}
		clean, err := entryName(h, name)
		if err != nil {
			return err
		}
		if clean == "" {
			continue // a directory
		}
		if seen[clean] {
			return archiveErr(name, "entry %q appears twice", h.Name)
		}
		seen[clean] = true
		if err := fn(h, clean, tr); err != nil {
			return err
		}
	}
}

// entryName checks one tar entry and returns its clean name, or "" for a directory: a
// regular file with a relative name that stays inside the package (no "..", no absolute
// path, no links or devices).
func entryName(h *tar.Header, pkg string) (string, error) {
	clean := strings.TrimPrefix(h.Name, "./")
	if strings.HasPrefix(h.Name, "/") || strings.Contains(h.Name, "\\") || clean == "" {
		return "", archiveErr(pkg, "entry %q: absolute or odd path", h.Name)
	}
	for _, part := range strings.Split(strings.TrimSuffix(clean, "/"), "/") {
		if part == ".." {
			return "", archiveErr(pkg, "entry %q: path leaves the package (..)", h.Name)
		}
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return "", nil
	case tar.TypeReg:
	case tar.TypeSymlink, tar.TypeLink:
		return "", archiveErr(pkg, "entry %q: links are not allowed", h.Name)
	default:
		return "", archiveErr(pkg, "entry %q: type %q is not a regular file", h.Name, h.Typeflag)
	}
	clean = path.Clean(clean)
	if !validFile(clean) {
		return "", archiveErr(pkg, "entry %q: not a valid file name", h.Name)
	}
	return clean, nil
}

// LoadPackage turns bytes from any source into a checked Package: a .tar.gz (module.toml +
// entry + files) or a bare .wasm (a default manifest is derived). Digests in the manifest are
// verified; an unsigned manifest without digests gets them filled in. Signatures are checked
// by the installer (VerifySignature), not here.
func LoadPackage(data []byte, name string) (*Package, error) {
	switch {
	case bytes.HasPrefix(data, wasmMagic):
		m, err := DefaultManifest(name, data)
		if err != nil {
			return nil, err
		}
		return &Package{Manifest: m, Entry: data, Derived: true}, nil
	case bytes.HasPrefix(data, gzipMagic):
		files, err := ReadArchive(bytes.NewReader(data), name, ArchiveLimits{})
		if err != nil {
			return nil, err
		}
		return packageFromFiles(files, name)
	case IsScript(name):
		m, err := DefaultScriptManifest(name, data)
		if err != nil {
			return nil, err
		}
		return &Package{Manifest: m, Entry: data, Derived: true}, nil
	}
	return nil, fmt.Errorf("%s: %w", name, ErrNotModule)
}

func packageFromFiles(files map[string][]byte, name string) (*Package, error) {
	mb, ok := files[ManifestFile]
	if !ok {
		return nil, archiveErr(name, "no %s at the top of the package", ManifestFile)
	}
	m, err := ParseManifest(mb, name+"/"+ManifestFile)
	if err != nil {
		return nil, err
	}
	entry, ok := files[m.Entry]
	if !ok {
		return nil, archiveErr(name, "the entry %q named in %s is not in the package", m.Entry, ManifestFile)
	}
	if err := checkEntry(m, name+"/"+m.Entry, entry); err != nil {
		return nil, err
	}
	signed := m.Signature != ""
	if m.EntryDigest == "" && !signed {
		m.EntryDigest = Digest(entry)
	}
	if err := checkDigest(name+"/"+m.Entry, entry, m.EntryDigest); err != nil {
		return nil, err
	}
	p := &Package{Manifest: m, Entry: entry, Files: map[string][]byte{}}
	fill := m.Files == nil && !signed
	if fill {
		m.Files = map[string]string{}
	}
	for f, b := range files {
		if f == ManifestFile || f == m.Entry {
			continue
		}
		if fill {
			m.Files[f] = Digest(b)
		}
		want, ok := m.Files[f]
		if !ok {
			return nil, archiveErr(name, "file %q is not listed in %s [files]; run orbital pack", f, ManifestFile)
		}
		if err := checkDigest(name+"/"+f, b, want); err != nil {
			return nil, err
		}
		p.Files[f] = b
	}
	for f := range m.Files {
		if _, ok := files[f]; !ok {
			return nil, archiveErr(name, "file %q listed in %s is missing", f, ManifestFile)
		}
	}
	if len(m.Files) == 0 {
		m.Files = nil
	}
	return p, nil
}

// Verify re-checks the package's digests against its manifest.
func (p *Package) Verify() error {
	if err := checkDigest(p.Manifest.Entry, p.Entry, p.Manifest.EntryDigest); err != nil {
		return err
	}
	for f, b := range p.Files {
		if err := checkDigest(f, b, p.Manifest.Files[f]); err != nil {
			return err
		}
	}
	return nil
}

// Archive writes the package as a deterministic .tar.gz (sorted names, zero times).
func (p *Package) Archive() ([]byte, error) {
	var buf bytes.Buffer
	if err := p.WriteArchive(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteArchive writes the archive Archive returns to w as it is made (the registry server
// streams downloads this way instead of holding a second copy of the package).
func (p *Package) WriteArchive(w io.Writer) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	add := func(name string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	if err := add(ManifestFile, p.Manifest.Encode()); err != nil {
		return err
	}
	if err := add(p.Manifest.Entry, p.Entry); err != nil {
		return err
	}
	for _, f := range sortedKeys(p.Files) {
		if err := add(f, p.Files[f]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// PackDir builds a package from a directory holding module.toml, the entry .wasm it names and
// any extra files (hidden files and *.tar.gz are skipped). Digests are computed and written
// into the manifest. A directory without module.toml but with exactly one .wasm gets a default
// manifest.
func PackDir(dir string) (*Package, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || strings.HasSuffix(rel, ".tar.gz") {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: only regular files can be packed", p)
		}
		if len(files) >= DefaultArchiveLimits.MaxEntries {
			return fmt.Errorf("%s: more than %d files", dir, DefaultArchiveLimits.MaxEntries)
		}
		b, err := os.ReadFile(p)
		files[rel] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, ok := files[ManifestFile]; !ok {
		var wasms []string
		for f := range files {
			if strings.HasSuffix(f, ".wasm") {
				wasms = append(wasms, f)
			}
		}
		sort.Strings(wasms)
		if len(wasms) != 1 {
			return nil, fmt.Errorf("%s: no %s, and not exactly one .wasm to derive one from (found %d)", dir, ManifestFile, len(wasms))
		}
		m, err := DefaultManifest(wasms[0], files[wasms[0]])
		if err != nil {
			return nil, err
		}
		m.Entry = wasms[0]
		files[ManifestFile] = m.Encode()
	}
	m, err := ParseManifest(files[ManifestFile], filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, err
	}
	entry, ok := files[m.Entry]
	if !ok {
		return nil, fmt.Errorf("%s: entry %q named in %s does not exist", dir, m.Entry, ManifestFile)
	}
	if err := checkEntry(m, filepath.Join(dir, m.Entry), entry); err != nil {
		return nil, err
	}
	m.EntryDigest = Digest(entry)
	m.Files, m.Publisher, m.Signature = nil, "", ""
	p := &Package{Manifest: m, Entry: entry, Files: map[string][]byte{}}
	for f, b := range files {
		if f == ManifestFile || f == m.Entry {
			continue
		}
		if m.Files == nil {
			m.Files = map[string]string{}
		}
		m.Files[f] = Digest(b)
		p.Files[f] = b
	}
	return p, nil
}
