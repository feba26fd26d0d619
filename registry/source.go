package registry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// RefKind classifies what the user typed.
type RefKind int

// The kinds of reference Install and Resolve accept.
const (
	RefName  RefKind = iota // orbital://name[@range] or name[@range]
	RefURL                  // http:// or https://
	RefFile                 // a .wasm or .tar.gz on disk
	RefDir                  // a module directory (module.toml) or a directory of packages
	RefWords                // anything else: search words
)

// Ref is a parsed reference.
type Ref struct {
	Kind  RefKind
	Raw   string
	Name  string // RefName
	Range string // RefName: semver range, "" = any
}

// ParseRef classifies s. Paths that exist win over names, so ./imagefx is the directory.
func ParseRef(s string) Ref {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "orbital://"):
		n, rng, _ := strings.Cut(strings.TrimPrefix(s, "orbital://"), "@")
		return Ref{Kind: RefName, Raw: s, Name: strings.TrimSuffix(n, "/"), Range: rng}
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		return Ref{Kind: RefURL, Raw: s}
	}
	if fi, err := os.Stat(s); err == nil {
		if fi.IsDir() {
			return Ref{Kind: RefDir, Raw: s}
		}
		return Ref{Kind: RefFile, Raw: s}
	}
	if strings.ContainsAny(s, "/") || strings.HasSuffix(s, ".wasm") || strings.HasSuffix(s, ".tar.gz") || IsScript(s) {
		return Ref{Kind: RefFile, Raw: s} // a path that does not exist: reading it says so
	}
	n, rng, _ := strings.Cut(s, "@")
	if nameRE.MatchString(n) && !strings.ContainsAny(s, " \t") {
		return Ref{Kind: RefName, Raw: s, Name: n, Range: rng}
	}
	return Ref{Kind: RefWords, Raw: s}
}

// Installed is the outcome for one module of Install.
type Installed struct {
	Record  *Record
	Already bool // that exact version and content was installed before
}

// Install fetches, verifies and installs what src names: a file (.wasm or .tar.gz), a module
// directory (module.toml), a directory of packages (each installed, libraries first), an
// http(s) URL, orbital://name[@range] (a no-op when an installed version satisfies it,
// otherwise fetched from the remotes), or a bare name[@range].
func (r *Registry) Install(ctx context.Context, src string, opt InstallOptions) ([]Installed, error) {
	ref := ParseRef(src)
	switch ref.Kind {
	case RefName:
		if ref.Range != "" {
			if err := checkRange(ref.Name, ref.Range); err != nil {
				return nil, err
			}
		}
		if rec, err := r.Best(ref.Name, ref.Range); err == nil {
			return []Installed{{Record: rec, Already: true}}, nil
		}
		pkg, from, err := r.fetchRemote(ctx, ref.Name, ref.Range, &opt)
		if err != nil {
			return nil, err
		}
		return r.installOne(ctx, pkg, from, &opt)
	case RefURL:
		opt.log("fetching %s", src)
		data, err := Fetch(ctx, src, opt.Fetch)
		if err != nil {
			return nil, err
		}
		name := src
		if u, err := url.Parse(src); err == nil {
			name = path.Base(u.Path)
		}
		pkg, err := LoadPackage(data, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		return r.installOne(ctx, pkg, origin{Source: src}, &opt)
	case RefFile:
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrNotFound, src, err)
		}
		pkg, err := loadWithSidecar(data, src, opt.ManifestDir)
		if err != nil {
			return nil, err
		}
		abs, _ := filepath.Abs(src)
		return r.installOne(ctx, pkg, origin{Source: abs}, &opt)
	case RefDir:
		if _, err := os.Stat(filepath.Join(src, ManifestFile)); err == nil {
			pkg, err := PackDir(src)
			if err != nil {
				return nil, err
			}
			abs, _ := filepath.Abs(src)
			return r.installOne(ctx, pkg, origin{Source: abs}, &opt)
		}
		return r.installDir(ctx, src, &opt)
	}
	hits, _ := r.SearchAll(ctx, src, 5, opt.Fetch)
	return nil, notAModule(src, hits)
}

func checkRange(name, rng string) error {
	if rng == "*" || rng == "latest" {
		return nil
	}
	if _, err := bestOf(name, rng, []*Record{{Name: name, Version: "0.0.0"}}); err != nil && !errors.Is(err, ErrNotSatisfied) {
		return err
	}
	return nil
}

func notAModule(q string, hits []Hit) error {
	if len(hits) == 0 {
		return fmt.Errorf("%w: %q is not a file, URL or module name, and a search found nothing", ErrNotFound, q)
	}
	var names []string
	for _, h := range hits {
		names = append(names, h.Name)
	}
	return fmt.Errorf("%w: %q is not a module reference; did you mean %s? (orbital search %s)", ErrNotFound, q, strings.Join(names, ", "), q)
}

func (r *Registry) installOne(ctx context.Context, pkg *Package, from origin, opt *InstallOptions) ([]Installed, error) {
	rec, already, err := r.installPackage(ctx, pkg, from, opt)
	if err != nil {
		return nil, err
	}
	return []Installed{{Record: rec, Already: already}}, nil
}

// installDir installs every .wasm, .js and .tar.gz in dir (not recursive), libraries before the
// modules that import them. One bad file does not stop the others; all errors are returned.
func (r *Registry) installDir(ctx context.Context, dir string, opt *InstallOptions) ([]Installed, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var pkgs []*Package
	var errs []error
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".wasm") || strings.HasSuffix(n, ".tar.gz") || IsScript(n)) {
			continue
		}
		p := filepath.Join(dir, n)
		data, err := os.ReadFile(p)
		if err == nil {
			var pkg *Package
			if pkg, err = loadWithSidecar(data, p, opt.ManifestDir); err == nil {
				pkgs = append(pkgs, pkg)
				continue
			}
		}
		errs = append(errs, err)
	}
	if len(pkgs) == 0 && len(errs) == 0 {
		return nil, fmt.Errorf("%w: %s holds no module.toml, .wasm, .js or .tar.gz", ErrNotFound, dir)
	}
	var out []Installed
	for _, pkg := range orderByDeps(pkgs) {
		abs, _ := filepath.Abs(filepath.Join(dir, pkg.Manifest.Entry))
		res, err := r.installOne(ctx, pkg, origin{Source: abs}, opt)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, res...)
	}
	return out, errors.Join(errs...)
}

// orderByDeps sorts packages so each comes after the ones it depends on (by name; cycles are
// left in name order and refused by the installer).
func orderByDeps(pkgs []*Package) []*Package {
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Manifest.Name < pkgs[j].Manifest.Name })
	byName := map[string]*Package{}
	for _, p := range pkgs {
		byName[p.Manifest.Name] = p
	}
	done := map[string]int{} // 1 visiting, 2 done
	var out []*Package
	var visit func(p *Package)
	visit = func(p *Package) {
		if done[p.Manifest.Name] != 0 {
			return
		}
		done[p.Manifest.Name] = 1
		for _, d := range sortedKeys(p.Manifest.Dependencies) {
			if q, ok := byName[d]; ok {
				visit(q)
			}
		}
		done[p.Manifest.Name] = 2
		out = append(out, p)
	}
	for _, p := range pkgs {
		visit(p)
	}
	return out
}

// Resolved is an installed module ready to run: its manifest and its verified entry module.
type Resolved struct {
	Record   *Record
	Manifest *Manifest
	Path     string // the entry module on disk, named NAME.wasm
	WASM     []byte
	Digest   string // "sha256:<hex>" of WASM
}

// Resolve turns what the user typed into an installed, verified module, installing it first
// if needed (a URL, a file, a directory, or a name the remotes have). Search words are not a
// module: the error lists the best matches.
func (r *Registry) Resolve(ctx context.Context, ref string, opt InstallOptions) (*Resolved, error) {
	pr := ParseRef(ref)
	if pr.Kind == RefName {
		if rec, err := r.Best(pr.Name, pr.Range); err == nil {
			return r.Load(rec)
		} else if len(r.Remotes) == 0 {
			return nil, err
		}
	}
	if pr.Kind == RefWords {
		hits, _ := r.SearchAll(ctx, ref, 5, opt.Fetch)
		return nil, notAModule(ref, hits)
	}
	res, err := r.Install(ctx, ref, opt)
	if err != nil {
		return nil, err
	}
	if len(res) != 1 {
		return nil, fmt.Errorf("%s holds %d modules; name the one to run", ref, len(res))
	}
	return r.Load(res[0].Record)
}

// Load reads an installed version's manifest and entry blob and checks both digests.
func (r *Registry) Load(rec *Record) (*Resolved, error) {
	m, err := r.Manifest(rec)
	if err != nil {
		return nil, err
	}
	p := r.EntryPath(rec)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("registry: %s: entry %s: %w; reinstall it", rec.ID(), p, err)
	}
	if err := checkDigest(p, b, rec.EntryDigest); err != nil {
		return nil, fmt.Errorf("%s: %w; reinstall it", rec.ID(), err)
	}
	return &Resolved{Record: rec, Manifest: m, Path: p, WASM: b, Digest: rec.EntryDigest}, nil
}

// LoadLibrary returns the best installed version of library name in rng that is of kind
// library, verified.
func (r *Registry) LoadLibrary(name, rng string) (*Resolved, error) {
	recs, err := r.List(name)
	if err != nil {
		return nil, err
	}
	var libs []*Record
	for _, rec := range recs {
		if rec.Kind == KindLibrary {
			libs = append(libs, rec)
		}
	}
	if len(libs) == 0 && len(recs) > 0 {
		return nil, fmt.Errorf("registry: %s is installed as a %s, not a library", recs[0].ID(), recs[0].Kind)
	}
	rec, err := bestOf(name, rng, libs)
	if err != nil {
		return nil, err
	}
	return r.Load(rec)
}

// SearchAll searches the local store, then each remote, and merges the hits (local first for
// equal names).
func (r *Registry) SearchAll(ctx context.Context, q string, n int, opt FetchOptions) ([]Hit, error) {
	hits, err := r.Search(q, n)
	seen := map[string]bool{}
	for _, h := range hits {
		seen[h.Name] = true
	}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, base := range r.Remotes {
		rh, err := RemoteSearch(ctx, base, q, n, opt)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, h := range rh {
			if !seen[h.Name] {
				seen[h.Name] = true
				hits = append(hits, h)
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	if len(hits) > n && n > 0 {
		hits = hits[:n]
	}
	return hits, errors.Join(errs...)
}

// loadWithSidecar is LoadPackage, except that a bare .wasm X.wasm takes its manifest from
// manifestDir/X/module.toml when there is one.
func loadWithSidecar(data []byte, file, manifestDir string) (*Package, error) {
	if manifestDir == "" || !strings.HasSuffix(file, ".wasm") {
		return LoadPackage(data, file)
	}
	mp := filepath.Join(manifestDir, strings.TrimSuffix(filepath.Base(file), ".wasm"), ManifestFile)
	mb, err := os.ReadFile(mp)
	if errors.Is(err, os.ErrNotExist) {
		return LoadPackage(data, file)
	}
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(mb, mp)
	if err != nil {
		return nil, err
	}
	if _, err := ReadWasmInfo(data); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if m.EntryDigest != "" && m.EntryDigest != Digest(data) {
		return nil, checkDigest(file, data, m.EntryDigest)
	}
	m.EntryDigest = Digest(data)
	if len(m.Files) > 0 || m.Signature != "" {
		return nil, fmt.Errorf("%s: a manifest with [files] or a signature must come in a package (orbital pack)", mp)
	}
	return &Package{Manifest: m, Entry: data}, nil
}
