package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// The registry server's HTTP API (served by Server, used by the client functions here):
//
//	GET  /v1/search?q=WORDS&n=N          -> JSON []Hit, best first
//	GET  /v1/modules/NAME                -> JSON {"name": NAME, "versions": ["1.2.0", ...]} highest first
//	GET  /v1/modules/NAME/VERSION.tar.gz -> the package archive
//	POST /v1/publish                     -> body: a signed package archive; 201 + JSON Record
const apiPrefix = "/v1"

// moduleVersions is the answer of GET /v1/modules/NAME.
type moduleVersions struct {
	Name     string   `json:"name"`
	Versions []string `json:"versions"`
}

func remoteURL(base string, parts ...string) string {
	esc := make([]string, len(parts))
	for i, p := range parts {
		esc[i] = url.PathEscape(p)
	}
	return strings.TrimRight(base, "/") + apiPrefix + "/" + strings.Join(esc, "/")
}

func getJSON(ctx context.Context, u string, opt FetchOptions, v any) error {
	opt.Raw = true
	opt.Progress = nil
	if opt.MaxBytes == 0 {
		opt.MaxBytes = 16 << 20
	}
	b, err := Fetch(ctx, u, opt)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: the registry answered something that is not its JSON API: %v", u, err)
	}
	return nil
}

// RemoteVersions lists the versions a registry server has of name, highest first.
func RemoteVersions(ctx context.Context, base, name string, opt FetchOptions) ([]string, error) {
	var mv moduleVersions
	if err := getJSON(ctx, remoteURL(base, "modules", name), opt, &mv); err != nil {
		if errors.Is(err, ErrHTTPStatus) && strings.Contains(err.Error(), "404") {
			return nil, fmt.Errorf("%w: %s has no module %s", ErrNotFound, base, name)
		}
		return nil, err
	}
	return mv.Versions, nil
}

// RemoteSearch asks a registry server for modules matching q.
func RemoteSearch(ctx context.Context, base, q string, n int, opt FetchOptions) ([]Hit, error) {
	var hits []Hit
	u := strings.TrimRight(base, "/") + apiPrefix + "/search?q=" + url.QueryEscape(q) + fmt.Sprintf("&n=%d", n)
	if err := getJSON(ctx, u, opt, &hits); err != nil {
		return nil, err
	}
	for i := range hits {
		hits[i].Remote = base
	}
	return hits, nil
}

// Publish uploads a package archive to a registry server. A server at its cap of uploads in
// flight answers 503 with Retry-After; Publish waits that long (1 s if unsaid, at most 10 s)
// and tries again, up to publishTries times.
func Publish(ctx context.Context, base string, archive []byte, client *http.Client) (*Record, error) {
	if client == nil {
		client = defaultClient
	}
	u := strings.TrimRight(base, "/") + apiPrefix + "/publish"
	for try := 1; ; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(archive))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/gzip")
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("publish to %s: %w", base, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && try < publishTries {
			wait := time.Second
			if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n >= 0 {
				wait = min(time.Duration(n)*time.Second, 10*time.Second)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("publish to %s: server answered %s: %s", base, resp.Status, strings.TrimSpace(string(body)))
		}
		rec := &Record{}
		if err := json.Unmarshal(body, rec); err != nil {
			return nil, fmt.Errorf("publish to %s: bad answer: %v", base, err)
		}
		return rec, nil
	}
}

// publishTries bounds Publish's attempts against a busy server.
const publishTries = 30

// fetchRemote finds the best version of name in rng on the configured remotes, in order, and
// downloads its package.
func (r *Registry) fetchRemote(ctx context.Context, name, rng string, opt *InstallOptions) (*Package, origin, error) {
	if len(r.Remotes) == 0 {
		return nil, origin{}, fmt.Errorf("%w: %s is not installed and no remote registry is configured (use --registry URL or [registry] remotes in config.toml)", ErrNotFound, name)
	}
	var c *semver.Constraints
	if rng != "" && rng != "*" && rng != "latest" {
		var err error
		if c, err = semver.NewConstraint(rng); err != nil {
			return nil, origin{}, fmt.Errorf("%s@%s: %q is not a version range: %v", name, rng, rng, err)
		}
	}
	var errs []string
	for _, base := range r.Remotes {
		versions, err := RemoteVersions(ctx, base, name, opt.Fetch)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		pick := ""
		for _, v := range versions {
			sv, err := semver.StrictNewVersion(v)
			if err == nil && (c == nil || c.Check(sv)) {
				pick = v
				break
			}
		}
		if pick == "" {
			errs = append(errs, fmt.Sprintf("%s has %s %s, none in range %s", base, name, strings.Join(versions, ", "), rng))
			continue
		}
		u := remoteURL(base, "modules", name, pick+".tar.gz")
		opt.log("fetching %s", u)
		data, err := Fetch(ctx, u, opt.Fetch)
		if err != nil {
			return nil, origin{}, err
		}
		pkg, err := LoadPackage(data, u)
		if err != nil {
			return nil, origin{}, err
		}
		if pkg.Manifest.Name != name || pkg.Manifest.Version != pick {
			return nil, origin{}, fmt.Errorf("%s: the registry sent %s, not %s@%s", u, pkg.Manifest.ID(), name, pick)
		}
		return pkg, origin{Source: "orbital://" + name + "@" + pick + " from " + base, Remote: true}, nil
	}
	return nil, origin{}, fmt.Errorf("%w: %s@%s: %s", ErrNotFound, name, orAny(rng), strings.Join(errs, "; "))
}

func orAny(rng string) string {
	if rng == "" {
		return "*"
	}
	return rng
}
