package backup

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"syscall"
	"time"
)

// Source is one file to put in a backup: Name in the archive (relative to the home), read from
// Path on disk. The file must not change while it is written (a snapshot, or content the home
// never rewrites in place: registry blobs).
type Source struct {
	Name string
	Path string
}

// Progress hears the bytes of file content written or read so far. May be nil.
type Progress func(done int64)

// Write writes a backup of files to w: the header, each file (hard links among them stored
// once), the manifest with every file's size and sha256. Files are written in name order.
func Write(w io.Writer, h Header, files []Source, progress Progress) (*Manifest, error) {
	h.Format, h.Version = Format, Version
	if h.Created.IsZero() {
		h.Created = time.Now().UTC()
	}
	files = append([]Source(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	bw := &archiveWriter{tw: tw, progress: progress, inodes: map[[2]uint64]int{}}
	if err := bw.meta(HeaderName, h); err != nil {
		return nil, err
	}
	for i, f := range files {
		if err := checkName(f.Name); err != nil {
			return nil, err
		}
		if i > 0 && files[i-1].Name == f.Name {
			return nil, fmt.Errorf("backup: %s twice", f.Name)
		}
		if err := bw.file(f); err != nil {
			return nil, err
		}
	}
	if err := bw.meta(ManifestName, &bw.man); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return &bw.man, nil
}

type archiveWriter struct {
	tw       *tar.Writer
	progress Progress
	done     int64
	man      Manifest
	inodes   map[[2]uint64]int // (dev, inode) -> index in man.Files of its first path
}

func (bw *archiveWriter) meta(name string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	if err := bw.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	_, err = bw.tw.Write(b)
	return err
}

func (bw *archiveWriter) file(src Source) error {
	f, err := os.Open(src.Path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("backup: %s is not a regular file", src.Path)
	}
	entry := File{Path: src.Name, Size: st.Size(), Mode: uint32(st.Mode().Perm())}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink > 1 {
		key := [2]uint64{uint64(sys.Dev), sys.Ino}
		if first, ok := bw.inodes[key]; ok {
			orig := bw.man.Files[first]
			entry.Link, entry.SHA256, entry.Size = orig.Path, orig.SHA256, orig.Size
			if err := bw.tw.WriteHeader(&tar.Header{Name: src.Name, Typeflag: tar.TypeLink, Linkname: orig.Path,
				Mode: int64(entry.Mode), ModTime: st.ModTime()}); err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			bw.man.Files = append(bw.man.Files, entry)
			return nil
		}
		bw.inodes[key] = len(bw.man.Files)
	}
	if err := bw.tw.WriteHeader(&tar.Header{Name: src.Name, Typeflag: tar.TypeReg, Size: st.Size(),
		Mode: int64(entry.Mode), ModTime: st.ModTime()}); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(bw.tw, h, progressWriter{bw}), io.LimitReader(f, st.Size()))
	if err == nil && n != st.Size() {
		err = fmt.Errorf("%s shrank while it was read (%d of %d bytes)", src.Path, n, st.Size())
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	entry.SHA256 = hex.EncodeToString(h.Sum(nil))
	bw.man.Files = append(bw.man.Files, entry)
	bw.man.Bytes += entry.Size
	return nil
}

type progressWriter struct{ bw *archiveWriter }

func (p progressWriter) Write(b []byte) (int, error) {
	p.bw.done += int64(len(b))
	if p.bw.progress != nil {
		p.bw.progress(p.bw.done)
	}
	return len(b), nil
}
