package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults for FetchOptions fields left zero.
const (
	DefaultFetchMaxBytes = 256 << 20 // 256 MiB
	DefaultFetchRetries  = 3
	DefaultFetchTimeout  = 2 * time.Minute
)

// Sentinel errors of Fetch; a *FetchError wraps exactly one of them (errors.Is works).
var (
	ErrHTTPStatus = errors.New("registry: server answered a non-2xx status")
	ErrNotModule  = errors.New("registry: body is not a WASM module or Orbital package")
	ErrTooLarge   = errors.New("registry: body is larger than the size cap")
	ErrTimeout    = errors.New("registry: download timed out")
	ErrTruncated  = errors.New("registry: download truncated")
	ErrBadURL     = errors.New("registry: bad URL")
)

// FetchOptions tunes Fetch. The zero value is usable.
type FetchOptions struct {
	// MaxBytes caps the body; it is checked while streaming, so a lying or missing
	// Content-Length cannot make Fetch read more. 0 means DefaultFetchMaxBytes.
	MaxBytes int64
	// Progress, if set, is called as bytes arrive with the bytes received so far and the total
	// (-1 when the server did not say). It runs on the fetching goroutine.
	Progress func(done, total int64)
	// Client is the HTTP client; nil means a client with sane transport timeouts.
	Client *http.Client
	// Retries is how many more attempts follow a failed one (network error, 5xx, 429,
	// truncated body). 0 means DefaultFetchRetries; a negative value means no retry.
	Retries int
	// Timeout bounds the whole fetch, retries included. 0 means DefaultFetchTimeout.
	Timeout time.Duration
	// Raw skips the check that the body is a WASM module or a .tar.gz package (used for the
	// registry's JSON answers).
	Raw bool
}

// FetchError is the error of a failed Fetch: the URL, the sentinel kind, and the detail.
type FetchError struct {
	URL    string
	Kind   error  // one of the sentinels above
	Detail string // human text after "URL: "
	Status int    // HTTP status for ErrHTTPStatus
	Err    error  // underlying cause, if any
}

func (e *FetchError) Error() string { return e.URL + ": " + e.Detail }

// Is reports whether target is the error's kind.
func (e *FetchError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying cause (a net error, context error, ...).
func (e *FetchError) Unwrap() error { return e.Err }

// Fetch downloads url (http or https) into memory with a size cap checked while streaming,
// progress reports, retries with exponential backoff, and Range resume when the server
// supports it. See FetchOptions and the sentinel errors.
func Fetch(ctx context.Context, url string, opt FetchOptions) ([]byte, error) {
	var buf memSink
	if err := fetchInto(ctx, url, opt, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FetchFile downloads url like Fetch into the file at path (created or truncated; removed
// again on failure) and fsyncs it. It returns the number of bytes written.
func FetchFile(ctx context.Context, url, path string, opt FetchOptions) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return 0, err
	}
	sink := &fileSink{f: f}
	err = fetchInto(ctx, url, opt, sink)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return 0, err
	}
	return sink.n, nil
}

// sink receives the body; Reset discards what was written (a resume the server refused).
type sink interface {
	io.Writer
	Reset() error
	Len() int64
	Head() []byte // first bytes written, for content sniffing
}

type memSink struct{ bytes.Buffer }

func (m *memSink) Reset() error { m.Buffer.Reset(); return nil }
func (m *memSink) Len() int64   { return int64(m.Buffer.Len()) }
func (m *memSink) Head() []byte { return m.Buffer.Bytes() }

type fileSink struct {
	f    *os.File
	n    int64
	head []byte
}

func (s *fileSink) Write(p []byte) (int, error) {
	if len(s.head) < sniffLen {
		s.head = append(s.head, p[:min(len(p), sniffLen-len(s.head))]...)
	}
	n, err := s.f.Write(p)
	s.n += int64(n)
	return n, err
}
func (s *fileSink) Reset() error {
	s.n, s.head = 0, nil
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}
func (s *fileSink) Len() int64   { return s.n }
func (s *fileSink) Head() []byte { return s.head }

const sniffLen = 512

var defaultClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	TLSHandshakeTimeout:   10 * time.Second,
	ResponseHeaderTimeout: 30 * time.Second,
	MaxIdleConnsPerHost:   4,
}}

func fetchInto(ctx context.Context, url string, opt FetchOptions, dst sink) error {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return &FetchError{URL: url, Kind: ErrBadURL, Detail: "not an http:// or https:// URL"}
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultFetchMaxBytes
	}
	if opt.Retries == 0 {
		opt.Retries = DefaultFetchRetries
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultFetchTimeout
	}
	if opt.Client == nil {
		opt.Client = defaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()

	var last error
	for attempt := 0; ; attempt++ {
		retry, err := fetchOnce(ctx, url, opt, dst)
		if err == nil {
			return nil
		}
		last = err
		if ctx.Err() != nil {
			return timeoutOrCancel(ctx, url, opt.Timeout, err)
		}
		if !retry || attempt >= opt.Retries {
			return last
		}
		backoff := time.Duration(100<<attempt) * time.Millisecond
		if backoff > 5*time.Second {
			backoff = 5 * time.Second
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return timeoutOrCancel(ctx, url, opt.Timeout, last)
		}
	}
}

func timeoutOrCancel(ctx context.Context, url string, d time.Duration, cause error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &FetchError{URL: url, Kind: ErrTimeout, Err: context.DeadlineExceeded,
			Detail: fmt.Sprintf("timed out after %s (server too slow or not answering; try again or raise the timeout)", d)}
	}
	var fe *FetchError
	if errors.As(cause, &fe) {
		return fe
	}
	return &FetchError{URL: url, Kind: ctx.Err(), Err: ctx.Err(), Detail: ctx.Err().Error()}
}

// fetchOnce makes one request, resuming from dst.Len() when dst already holds a prefix.
// It reports whether a failure is worth retrying.
func fetchOnce(ctx context.Context, url string, opt FetchOptions, dst sink) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, &FetchError{URL: url, Kind: ErrBadURL, Detail: err.Error(), Err: err}
	}
	offset := dst.Len()
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := opt.Client.Do(req)
	if err != nil {
		return true, &FetchError{URL: url, Kind: ErrTruncated, Err: err,
			Detail: "request failed: " + err.Error()}
	}
	defer resp.Body.Close()

	total := resp.ContentLength // -1 if unknown
	switch {
	case offset > 0 && resp.StatusCode == http.StatusPartialContent:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			// The server resumed somewhere else: start over.
			if err := dst.Reset(); err != nil {
				return false, err
			}
			return true, &FetchError{URL: url, Kind: ErrTruncated, Detail: "server resumed at the wrong offset"}
		}
		total = size
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if offset > 0 { // no Range support: the full body comes again
			if err := dst.Reset(); err != nil {
				return false, err
			}
			offset = 0
		}
	default:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests ||
			resp.StatusCode == http.StatusRequestTimeout
		return retry, &FetchError{URL: url, Kind: ErrHTTPStatus, Status: resp.StatusCode,
			Detail: "server answered " + resp.Status}
	}
	if total >= 0 && total > opt.MaxBytes {
		return false, tooLarge(url, opt.MaxBytes, total)
	}
	expected := int64(-1)
	if resp.ContentLength >= 0 {
		expected = offset + resp.ContentLength
	}
	ctype := resp.Header.Get("Content-Type")
	sniffed := opt.Raw || offset >= sniffLen
	buf := make([]byte, 32<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if dst.Len()+int64(n) > opt.MaxBytes {
				return false, tooLarge(url, opt.MaxBytes, -1)
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return false, &FetchError{URL: url, Kind: ErrTruncated, Err: err, Detail: "write: " + err.Error()}
			}
			if !sniffed && len(dst.Head()) >= 8 {
				if err := sniff(url, dst.Head(), ctype); err != nil {
					return false, err
				}
				sniffed = true
			}
			if opt.Progress != nil {
				opt.Progress(dst.Len(), total)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return false, timeoutOrCancel(ctx, url, opt.Timeout, rerr)
			}
			return true, &FetchError{URL: url, Kind: ErrTruncated, Err: rerr,
				Detail: fmt.Sprintf("download truncated after %d bytes: %v", dst.Len(), rerr)}
		}
	}
	if expected >= 0 && dst.Len() != expected {
		return true, &FetchError{URL: url, Kind: ErrTruncated,
			Detail: fmt.Sprintf("download truncated: got %d of %d bytes", dst.Len(), expected)}
	}
	if !sniffed {
		if err := sniff(url, dst.Head(), ctype); err != nil {
			return false, err
		}
	}
	return false, nil
}

func tooLarge(url string, max, total int64) error {
	d := fmt.Sprintf("body is larger than the cap of %d bytes", max)
	if total >= 0 {
		d = fmt.Sprintf("body of %d bytes is larger than the cap of %d bytes", total, max)
	}
	return &FetchError{URL: url, Kind: ErrTooLarge, Detail: d + " (raise the cap if you trust the source)"}
}

// Magic numbers of the accepted bodies.
var (
	wasmMagic = []byte{0x00, 'a', 's', 'm'}
	gzipMagic = []byte{0x1f, 0x8b}
)

// sniff accepts a WASM module or a gzip (.tar.gz package) body and names anything else.
func sniff(url string, head []byte, ctype string) error {
	if bytes.HasPrefix(head, wasmMagic) || bytes.HasPrefix(head, gzipMagic) {
		return nil
	}
	what := "not a WASM module or Orbital package (it starts with " + strconv.Quote(string(head[:min(len(head), 16)])) + ")"
	trimmed := strings.ToLower(strings.TrimSpace(string(head)))
	switch {
	case strings.Contains(ctype, "html") || strings.HasPrefix(trimmed, "<!doctype") ||
		strings.HasPrefix(trimmed, "<html") || strings.HasPrefix(trimmed, "<"):
		what = "an HTML page, not a WASM module or Orbital package"
	case strings.HasPrefix(trimmed, "{") || strings.Contains(ctype, "json"):
		what = "a JSON document, not a WASM module or Orbital package"
	case len(head) == 0:
		what = "empty, not a WASM module or Orbital package"
	}
	return &FetchError{URL: url, Kind: ErrNotModule, Detail: "is " + what}
}

// parseContentRange parses "bytes START-END/SIZE" (SIZE may be "*", giving -1).
func parseContentRange(s string) (start, size int64, ok bool) {
	s, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, sz, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	size = -1
	if sz != "*" {
		if size, err = strconv.ParseInt(sz, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return start, size, true
}
