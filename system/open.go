package system

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/orbital/orbital/kernel"
	"github.com/orbital/orbital/registry"
)

// What the shell's URL bar accepts, and how it becomes a module. The bar's text goes through
// the sources in order; the first that claims it provides the module's file (or bytes):
// orbital://admin, http(s) URLs, file:// URLs, paths, the registry (orbital://NAME[@RANGE],
// installed names, search words), then module names in the module directories.

// opened is what a source found: a file to load, or bytes already in memory.
type opened struct {
	Name   string // process name
	Path   string // file to load, or a label for Wasm in messages
	Wasm   []byte // nil: load Path
	Script bool   // a JavaScript script (Wasm holds it, or Path names it), run by the engine
	// Digest is "sha256:<hex>" of Wasm when the registry read and verified it, so the kernel
	// does not hash the bytes again (kernel.LoadDigest); empty otherwise.
	Digest string
}

// loadOpened loads what a source found: a script bound to the JavaScript engine (script.go),
// or a WASM module.
func (in *Instance) loadOpened(m opened) (*kernel.Module, error) {
	switch {
	case m.Script || registry.IsScript(m.Path):
		if m.Wasm == nil {
			return in.loadPath(m.Name, m.Path)
		}
		return in.loadScript(m.Name, m.Path, m.Wasm)
	case m.Wasm != nil:
		if hex, ok := strings.CutPrefix(m.Digest, "sha256:"); ok {
			return in.k.LoadDigest(m.Name, m.Path, m.Wasm, hex)
		}
		return in.k.Load(m.Name, m.Path, m.Wasm)
	}
	return in.k.LoadFile(m.Path)
}

// source turns the bar's text into a module. ok=false: not for this source (the next one is
// tried). An error means the source claimed text and failed; it is shown to the user as is,
// so it says what failed and why in one line.
type source func(ctx context.Context, text string, progress func(done, total int64)) (m opened, ok bool, err error)

// AdminURL is what the bar takes for the admin panel.
const AdminURL = "orbital://admin"

// find runs text through the sources.
func (in *Instance) find(ctx context.Context, text string, progress func(done, total int64)) (opened, error) {
	for _, s := range []source{in.adminSource, in.httpSource, fileURLSource, pathSource, in.registrySource, in.nameSource} {
		m, ok, err := s(ctx, text, progress)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return opened{}, context.Canceled
			}
			return opened{}, err
		}
		if ok {
			return m, nil
		}
	}
	return opened{}, fmt.Errorf("%q: not a module name, a path or an http(s):// URL", text)
}

// adminSource opens orbital://admin: the admin module shipped with Orbital (modules/admin),
// found like any demo module, ahead of the registry's orbital:// names.
func (in *Instance) adminSource(ctx context.Context, text string, progress func(int64, int64)) (opened, bool, error) {
	if strings.TrimSuffix(text, "/") != AdminURL {
		return opened{}, false, nil
	}
	m, _, err := in.nameSource(ctx, "admin", progress)
	if err != nil {
		return opened{}, true, fmt.Errorf("%s: the admin module is not installed beside orbital: %w", AdminURL, err)
	}
	return m, true, nil
}

// httpSource opens http(s) URLs. A package (.tar.gz, made by `orbital pack`) is installed
// through the registry, as `orbital install URL` does: fetched, its signature and digests
// checked, installed atomically, then run with its manifest (so policy and the permission
// prompt see what it requests). A bare .wasm (or .js script) is fetched and run as it is: it carries no
// manifest or signature that installing would check, and its derived version (0.0.0) would
// collide with an installed module of the same name.
func (in *Instance) httpSource(ctx context.Context, text string, progress func(int64, int64)) (opened, bool, error) {
	u, err := url.Parse(text)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return opened{}, false, nil
	}
	if u.Host == "" {
		return opened{}, true, fmt.Errorf("%s: no host in the URL", text)
	}
	fetch := registry.FetchOptions{MaxBytes: in.cfg.MaxDownload, Progress: progress}
	if p := strings.ToLower(u.Path); strings.HasSuffix(p, ".tar.gz") || strings.HasSuffix(p, ".tgz") {
		res, err := in.reg.Resolve(ctx, text, registry.InstallOptions{Fetch: fetch})
		if err != nil {
			return opened{}, true, fetchMessage(text, err)
		}
		return opened{Name: res.Manifest.Name, Path: res.Path, Wasm: res.WASM, Script: res.Record.Script, Digest: res.Digest}, true, nil
	}
	script := registry.IsScript(u.Path)
	if script { // a script is text: loadScript checks it (UTF-8, at most MaxScript bytes)
		fetch.Raw, fetch.MaxBytes = true, registry.MaxScript
	}
	wasm, err := registry.Fetch(ctx, text, fetch)
	if err != nil {
		return opened{}, true, fetchMessage(text, err)
	}
	return opened{Name: moduleNameFrom(u.Path, u.Host), Path: text, Wasm: wasm, Script: script}, true, nil
}

// fetchMessage shortens a download error for the one-line error bar: Go's net errors repeat
// the URL ("Get \"URL\": dial tcp ...") after the registry already named it. The original
// error stays reachable (errors.Is, errors.As).
func fetchMessage(rawURL string, err error) error {
	msg := strings.ReplaceAll(err.Error(), `Get "`+rawURL+`": `, "")
	msg = strings.ReplaceAll(msg, "dial tcp ", "")
	return &shortError{msg: msg, err: err}
}

type shortError struct {
	msg string
	err error
}

func (e *shortError) Error() string { return e.msg }
func (e *shortError) Unwrap() error { return e.err }

func fileURLSource(_ context.Context, text string, _ func(int64, int64)) (opened, bool, error) {
	if !strings.HasPrefix(text, "file:") {
		return opened{}, false, nil
	}
	u, err := url.Parse(text)
	if err != nil {
		return opened{}, true, fmt.Errorf("%s: not a valid file URL: %v", text, err)
	}
	if u.Host != "" && u.Host != "localhost" {
		return opened{}, true, fmt.Errorf("%s: file URLs must name a local file (file:///path/to/module.wasm)", text)
	}
	if _, err := os.Stat(u.Path); err != nil {
		return opened{}, true, fmt.Errorf("%s: no such file", u.Path)
	}
	return opened{Name: moduleNameFrom(u.Path, ""), Path: u.Path}, true, nil
}

func pathSource(_ context.Context, text string, _ func(int64, int64)) (opened, bool, error) {
	if !isPath(text) && !strings.HasPrefix(text, "~") {
		return opened{}, false, nil
	}
	p := text
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if hd, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(hd, rest)
		}
	}
	st, err := os.Stat(p)
	switch {
	case err != nil:
		return opened{}, true, fmt.Errorf("%s: no such file", p)
	case st.IsDir():
		return opened{}, true, fmt.Errorf("%s: is a directory, not a .wasm file", p)
	}
	return opened{Name: moduleNameFrom(p, ""), Path: p}, true, nil
}

// registrySource handles orbital://name[@range] (installing from the remotes when needed),
// installed module names, and search words.
func (in *Instance) registrySource(ctx context.Context, text string, progress func(int64, int64)) (opened, bool, error) {
	ref := registry.ParseRef(text)
	if ref.Kind != registry.RefName && ref.Kind != registry.RefWords {
		return opened{}, false, nil
	}
	if ref.Kind == registry.RefName && !strings.HasPrefix(text, "orbital://") {
		if _, err := in.reg.Best(ref.Name, ref.Range); err != nil {
			return opened{}, false, nil // not installed: the plain name sources may know it
		}
	}
	res, err := in.reg.Resolve(ctx, text, registry.InstallOptions{Fetch: registry.FetchOptions{Progress: progress}})
	if err != nil {
		return opened{}, true, err
	}
	return opened{Name: res.Manifest.Name, Path: res.Path, Wasm: res.WASM, Script: res.Record.Script, Digest: res.Digest}, true, nil
}

func (in *Instance) nameSource(_ context.Context, text string, _ func(int64, int64)) (opened, bool, error) {
	if strings.ContainsAny(text, " \t:") {
		return opened{}, true, fmt.Errorf("%q: not a module name, a path or an http(s):// URL", text)
	}
	m, err := in.resolve(text)
	if err != nil {
		return opened{}, true, err
	}
	m.Name = text
	return m, true, nil
}

// moduleNameFrom names a process after the file it came from ("clock.wasm" -> "clock",
// "app.js" -> "app").
func moduleNameFrom(p, fallback string) string {
	base := path.Base(filepath.ToSlash(p))
	if ext := path.Ext(base); ext == ".wasm" || strings.EqualFold(ext, ".js") {
		base = strings.TrimSuffix(base, ext)
	}
	if base == "" || base == "." || base == "/" {
		return fallback
	}
	return base
}
