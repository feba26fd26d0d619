package sdk

import (
	"net/textproto"
	"strings"
	"time"
)

// HTTPRequest is an HTTP request the host makes on the module's behalf (Fetch). The host checks
// the URL's host:port, and every redirect's, against the module's net.allow grant.
type HTTPRequest struct {
	Method  string              // default GET
	URL     string              // absolute http:// or https:// URL
	Header  map[string][]string // request headers; names are sent as given
	Body    []byte
	Timeout time.Duration // the whole exchange; 0 or Forever: none (the call still ends when the process is stopped)
}

// HTTPResponse is the answer to a Fetch.
type HTTPResponse struct {
	Status int
	Header map[string][]string // canonical header names (Content-Type), as net/http spells them
	Body   []byte
}

// Get returns the first value of the header name (any case), or "".
func (r *HTTPResponse) Get(name string) string {
	if v := r.Header[textproto.CanonicalMIMEHeaderKey(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// encodeHeader writes h as the ABI's "Name: value\n" lines.
func encodeHeader(h map[string][]string) string {
	var b strings.Builder
	for k, vs := range h {
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// parseHead reads the host's "Name: value\r\n" lines.
func parseHead(head string) map[string][]string {
	h := map[string][]string{}
	for line := range strings.SplitSeq(head, "\r\n") {
		k, v, ok := strings.Cut(line, ": ")
		if ok && k != "" {
			h[k] = append(h[k], v)
		}
	}
	return h
}
