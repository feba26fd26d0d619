package backup

import (
	"archive/tar"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Verify reads a whole backup from r and checks it: the header's format and version, every
// entry's name and type, every file's size and sha256 against the manifest, and that nothing
// follows the manifest. It writes nothing. progress hears the bytes of file content read.
func Verify(r io.Reader, progress Progress) (*Header, *Manifest, error) {
	return walk(r, progress, nil)
}

// sink receives each file's content as the reader verifies it (links: nil content). The
// content read is counted against the entry's size and digest after sink returns, so a sink
// must read it to the end.
type sink func(f File, content io.Reader) error

// walk reads the archive, calling put for each file; the manifest is compared at the end.
func walk(r io.Reader, progress Progress, put sink) (*Header, *Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, fmt.Errorf("%w: the file is empty or cut short", ErrTruncated)
		}
		return nil, nil, fmt.Errorf("%w: not a gzip file (%v)", ErrNotBackup, err)
	}
	gz.Multistream(false)
	tr := tar.NewReader(gz)
	h, err := readHeader(tr)
	if err != nil {
		return nil, nil, err
	}
	w := &walker{tr: tr, progress: progress, put: put, seen: map[string]int{}}
	man, err := w.entries()
	if err != nil {
		return h, nil, err
	}
	// The gzip trailer (its CRC and length) is checked at the stream's end.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return h, nil, streamErr(err)
	}
	return h, man, nil
}

func readHeader(tr *tar.Reader) (*Header, error) {
	th, err := tr.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the archive is empty", ErrNotBackup)
		}
		return nil, streamErr(err)
	}
	if th.Name != HeaderName || th.Typeflag != tar.TypeReg || th.Size > MaxMetaBytes {
		return nil, fmt.Errorf("%w: it does not start with %s (an archive made by `orbital backup` does)", ErrNotBackup, HeaderName)
	}
	b, err := io.ReadAll(io.LimitReader(tr, th.Size))
	if err != nil {
		return nil, streamErr(err)
	}
	var h Header
	if err := json.Unmarshal(b, &h); err != nil || h.Format != Format {
		return nil, fmt.Errorf("%w: its header is not an Orbital backup header", ErrNotBackup)
	}
	if h.Version > Version {
		return nil, fmt.Errorf("%w: it is format version %d and this Orbital reads version %d or older; restore it with a newer orbital", ErrNewer, h.Version, Version)
	}
	if h.Version < 1 {
		return nil, fmt.Errorf("%w: version %d", ErrNotBackup, h.Version)
	}
	return &h, nil
}

type walker struct {
	tr       *tar.Reader
	progress Progress
	done     int64
	put      sink
	files    []File
	seen     map[string]int // path -> index in files
}

func (w *walker) entries() (*Manifest, error) {
	for {
		th, err := w.tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the archive ends before its manifest (%d files read)", ErrTruncated, len(w.files))
		}
		if err != nil {
			return nil, streamErr(err)
		}
		if th.Name == ManifestName {
			return w.manifest(th)
		}
		if len(w.files) >= MaxFiles {
			return nil, fmt.Errorf("%w: more than %d files", ErrInvalid, MaxFiles)
		}
		if err := w.entry(th); err != nil {
			return nil, err
		}
	}
}

func (w *walker) entry(th *tar.Header) error {
	if err := checkName(th.Name); err != nil {
		return err
	}
	if _, dup := w.seen[th.Name]; dup {
		return fmt.Errorf("%w: %s appears twice", ErrInvalid, th.Name)
	}
	f := File{Path: th.Name, Mode: uint32(th.Mode) & 0o777}
	switch th.Typeflag {
	case tar.TypeReg:
		if th.Size < 0 || th.Size > MaxFileSize {
			return fmt.Errorf("%w: %s claims %d bytes", ErrInvalid, th.Name, th.Size)
		}
		f.Size = th.Size
		if err := w.content(&f); err != nil {
			return err
		}
	case tar.TypeLink:
		i, ok := w.seen[th.Linkname]
		if !ok || w.files[i].Link != "" {
			return fmt.Errorf("%w: %s links to %q, which is not a file before it", ErrInvalid, th.Name, th.Linkname)
		}
		orig := w.files[i]
		f.Link, f.Size, f.SHA256 = orig.Path, orig.Size, orig.SHA256
		if w.put != nil {
			if err := w.put(f, nil); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%w: %s is not a regular file (type %q)", ErrInvalid, th.Name, th.Typeflag)
	}
	w.seen[f.Path] = len(w.files)
	w.files = append(w.files, f)
	return nil
}

// content reads a file's bytes (through the sink, if any), hashing them.
func (w *walker) content(f *File) error {
	h := sha256.New()
	cr := &countReader{r: w.tr, h: h, w: w}
	var err error
	if w.put != nil {
		err = w.put(*f, cr)
	}
	if err == nil {
		_, err = io.Copy(io.Discard, cr) // what the sink left
	}
	if err != nil {
		var se *streamError
		if errors.As(err, &se) {
			return se.err
		}
		return err
	}
	if cr.n != f.Size {
		return fmt.Errorf("%w: %s holds %d of its %d bytes", ErrTruncated, f.Path, cr.n, f.Size)
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	return nil
}

// streamError marks an error of the archive stream itself, as opposed to the sink's.
type streamError struct{ err error }

func (e *streamError) Error() string { return e.err.Error() }

type countReader struct {
	r io.Reader
	h io.Writer
	w *walker
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	c.w.done += int64(n)
	if c.w.progress != nil && n > 0 {
		c.w.progress(c.w.done)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = &streamError{streamErr(err)}
	}
	return n, err
}

// manifest reads the last entry and compares it with the files read.
func (w *walker) manifest(th *tar.Header) (*Manifest, error) {
	if th.Typeflag != tar.TypeReg || th.Size > MaxMetaBytes {
		return nil, fmt.Errorf("%w: its manifest is not a file of at most %d bytes", ErrInvalid, MaxMetaBytes)
	}
	b, err := io.ReadAll(io.LimitReader(w.tr, th.Size))
	if err != nil {
		return nil, streamErr(err)
	}
	if int64(len(b)) != th.Size {
		return nil, fmt.Errorf("%w: the manifest is cut short", ErrTruncated)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: its manifest does not parse (%v)", ErrTampered, err)
	}
	if _, err := w.tr.Next(); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, streamErr(err)
		}
		return nil, fmt.Errorf("%w: an entry follows the manifest", ErrTampered)
	}
	if err := compare(m, w.files); err != nil {
		return nil, err
	}
	return &m, nil
}

func compare(m Manifest, files []File) error {
	if len(m.Files) != len(files) {
		return fmt.Errorf("%w: the manifest lists %d files, the archive holds %d", ErrTampered, len(m.Files), len(files))
	}
	var total int64
	for i, got := range files {
		want := m.Files[i]
		if want.Path != got.Path || want.Link != got.Link {
			return fmt.Errorf("%w: entry %d is %s, the manifest says %s", ErrTampered, i, got.Path, want.Path)
		}
		if want.Size != got.Size || want.SHA256 != got.SHA256 {
			return fmt.Errorf("%w: %s has sha256 %s (%d bytes), the manifest says %s (%d bytes)", ErrTampered, got.Path, got.SHA256, got.Size, want.SHA256, want.Size)
		}
		if got.Link == "" {
			total += got.Size
		}
	}
	if m.Bytes != total {
		return fmt.Errorf("%w: the manifest counts %d bytes, the files hold %d", ErrTampered, m.Bytes, total)
	}
	return nil
}

// streamErr names an error of the gzip or tar stream.
func streamErr(err error) error {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the archive ends in the middle (%v)", ErrTruncated, err)
	case errors.Is(err, gzip.ErrChecksum) || errors.As(err, &ce) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, tar.ErrHeader):
		return fmt.Errorf("%w: the archive is damaged (%v)", ErrTampered, err)
	}
	return fmt.Errorf("backup: %w", err)
}
