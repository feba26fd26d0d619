package main

import (
	"bytes"
	"io"
)

// progress is go test's stdout and stderr: it keeps everything for Parse and echoes the lines
// that show progress ("ok  pkg 3.2s", "FAIL pkg") to w, or every line when all is set, so a
// long `make bench` is not silent.
type progress struct {
	all     bool
	w       io.Writer
	kept    bytes.Buffer
	partial []byte
}

func (p *progress) Write(b []byte) (int, error) {
	p.kept.Write(b)
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		line := p.partial[:i+1]
		if p.all || bytes.HasPrefix(line, []byte("ok  ")) || bytes.HasPrefix(line, []byte("FAIL\t")) {
			p.w.Write(line)
		}
		p.partial = p.partial[i+1:]
	}
	return len(b), nil
}
