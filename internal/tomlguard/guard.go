package tomlguard

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Limits bound a TOML document before it is decoded.
type Limits struct {
	MaxBytes    int // whole document
	MaxDepth    int // arrays and inline tables open at once
	MaxKeyParts int // parts of one dotted key or table header (a.b.c is 3)
}

// Default suits every TOML file Orbital reads (manifests, policies, config.toml,
// trusted.toml): the largest real one is a few KiB and nests three levels.
var Default = Limits{MaxBytes: 1 << 20, MaxDepth: 16, MaxKeyParts: 16}

// ErrRefused is matched by every *Error.
var ErrRefused = errors.New("tomlguard: document refused before decoding")

// Error is a refused document: the file, the line (1-based; 0 for a size refusal) and why.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.File + ": " + e.Msg
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *Error) Is(t error) bool { return t == ErrRefused }

// Check refuses data when it exceeds Default; file names it in the error.
func Check(data []byte, file string) error { return Default.Check(data, file) }

// Check refuses data when it is larger than MaxBytes, opens more than MaxDepth arrays and
// inline tables at once, or has a key or table header of more than MaxKeyParts parts. It reads
// each byte once and allocates nothing; it does not validate TOML (the decoder does that), so
// it never refuses a document for its syntax.
func (l Limits) Check(data []byte, file string) error {
	if len(data) > l.MaxBytes {
		return &Error{File: file, Msg: fmt.Sprintf("%d bytes is over the %d-byte limit for a TOML file", len(data), l.MaxBytes)}
	}
	s := scanner{lim: l, data: data, line: 1}
	if msg := s.run(); msg != "" {
		return &Error{File: file, Line: s.line, Msg: msg}
	}
	return nil
}

// ReadFile reads path, refusing a file larger than Default.MaxBytes without reading it all,
// then checks it. The error of a missing file matches os.ErrNotExist.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(Default.MaxBytes)+1))
	if err != nil {
		return nil, err
	}
	if err := Check(data, path); err != nil {
		return nil, err
	}
	return data, nil
}
