// Package upstream reads what public registries offer (apt archives, rpm-md
// repositories, PyPI and npm), verifies their metadata against the
// upstream's own signatures and hashes, and selects the versions repos.yaml
// allows. It never downloads artifacts: it says where each file is and which
// hashes its bytes must have.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stockpile/stockpile/config"
)

// ErrVerification is wrapped by every error that means upstream data did not
// match its signature or hash.
var ErrVerification = errors.New("upstream verification failed")

// Candidate is one file an upstream offers.
type Candidate struct {
	Name    string // package name as repos.yaml lists it
	Version string // the format's version string (apt/yum: [epoch:]version-release)
	Arch    string // apt and yum architecture; "" elsewhere
	File    string // file name for the manifest
	URL     string // absolute URL of the bytes
	Size    int64  // -1 when the upstream does not say

	// Hashes the upstream lists for the file, lowercase hex; at least one
	// of SHA256 and SHA512 (SHA1 only where the format has nothing better).
	SHA256, SHA512, SHA1 string
	// Index is the upstream document the hashes come from, for messages.
	Index string

	// Published is when the version became public upstream; zero when the
	// upstream does not say.
	Published time.Time
	// Deprecated is npm's deprecation message, copied into the manifest.
	Deprecated string
	// Yanked files are never mirrored.
	Yanked bool
	// Prerelease versions are taken only when a constraint names one.
	Prerelease bool
}

// Source is what a reader may use: an HTTP client, a way to read files of
// the registry repository (public keys) and the time, for signature checks.
type Source struct {
	HTTP     *http.Client
	ReadFile func(path string) ([]byte, error)
	Now      time.Time
}

// List returns every file the repository's upstream offers for the packages
// repos.yaml names, with their hashes verified up to the upstream's root of
// trust (the Release signature for apt, repomd.xml's for yum when a key is
// configured, TLS for PyPI and npm).
func List(ctx context.Context, src Source, repo *config.Repository) ([]Candidate, error) {
	if repo.Upstream == nil {
		return nil, fmt.Errorf("repository %q has no upstream", repo.Name)
	}
	if src.HTTP == nil {
		src.HTTP = http.DefaultClient
	}
	readers := map[string]func(context.Context, Source, *config.Repository) ([]Candidate, error){
		"apt":  listApt,  // InRelease/Release(.gpg) → Packages → .deb
		"yum":  listYum,  // repomd.xml(.asc) → primary.xml.gz → .rpm
		"pypi": listPyPI, // PEP 691 JSON or /pypi/<name>/json → files
		"npm":  listNPM,  // packuments → tarballs
	}
	read, ok := readers[repo.Format]
	if !ok {
		return nil, fmt.Errorf("repository %q: no upstream reader for the %s format", repo.Name, repo.Format)
	}
	return read(ctx, src, repo)
}

// maxDocument bounds an upstream metadata document (Debian's main
// Packages for one architecture is about 100 MB uncompressed).
const maxDocument = 1 << 30

// metadataTimeout bounds the download of one metadata document.
const metadataTimeout = 10 * time.Minute

// errNotFound marks a 404 or 410 answer, where a reader may try another file.
var errNotFound = errors.New("not found")

// get fetches a metadata document.
func get(ctx context.Context, src Source, u string, accept string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "stockpile")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := src.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, fmt.Errorf("%s: server answered %s: %w", u, resp.Status, errNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: server answered %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	if len(data) > maxDocument {
		return nil, fmt.Errorf("%s: larger than %d bytes", u, maxDocument)
	}
	return data, nil
}

// resolveURL resolves ref against base, as a browser resolves a link.
func resolveURL(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	u := b.ResolveReference(r)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("link %q is not http(s)", ref)
	}
	u.Fragment = ""
	return u.String(), nil
}

// wanted reports whether name is one of the packages repos.yaml lists.
func wanted(u *config.Upstream, name string, normalize func(string) string) bool {
	for _, p := range u.Packages {
		if normalize(p.Name) == normalize(name) {
			return true
		}
	}
	return false
}

func identity(s string) string { return s }

// baseName returns the last segment of a URL path, unescaped.
func baseName(u string) string {
	p := u
	if parsed, err := url.Parse(u); err == nil {
		p = parsed.Path
	}
	return p[strings.LastIndexByte(p, '/')+1:]
}
