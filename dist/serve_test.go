package dist

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestHandler(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"index.html":                                "home",
		"apt/dists/stable/InRelease":                "signed",
		"apt/pool/main/h/hello/hello_1.0_all.deb":   "deb",
		"apt/key.gpg":                               "key",
		"pypi/simple/index.html":                    "projects",
		"pypi/simple/demo/index.html":               "html page",
		"pypi/simple/demo/index.json":               "json page",
		"npm/left-pad/index.json":                   "packument",
		"npm/@scope/name/index.json":                "scoped packument",
		"npm/@scope/name/-/name-1.0.0.tgz":          "tarball",
		"tuf/timestamp.json":                        "ts",
		"tuf/3.snapshot.json":                       "snap",
		"apt/dists/stable/main/binary-amd64/.tmp-1": "partial",
		".stockpile/state.json":                     "{}",
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	srv := httptest.NewServer(Handler(dir))
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	tests := []struct {
		path, accept       string
		status             int
		body, ctype, cache string
	}{
		{"/", "", 200, "home", "text/html; charset=utf-8", CacheMutable},
		{"/apt/dists/stable/InRelease", "", 200, "signed", "text/plain; charset=utf-8", CacheMutable},
		{"/apt/pool/main/h/hello/hello_1.0_all.deb", "", 200, "deb", "application/vnd.debian.binary-package", CacheImmutable},
		{"/apt/key.gpg", "", 200, "key", "application/pgp-keys", CacheMutable},
		{"/apt/", "", 404, "", "", ""},
		{"/apt/dists", "", 404, "", "", ""},
		{"/missing", "", 404, "", "", ""},
		{"/apt/dists/stable/main/binary-amd64/.tmp-1", "", 404, "", "", ""},
		{"/.stockpile/state.json", "", 404, "", "", ""},
		{"/pypi/simple/demo", "", 301, "", "", ""},
		{"/pypi/simple/demo/", "text/html", 200, "html page", "text/html; charset=utf-8", CacheMutable},
		{"/pypi/simple/demo/", "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.1, text/html;q=0.01", 200, "json page", PyPIJSON, CacheMutable},
		{"/pypi/simple/demo/", "text/html, application/vnd.pypi.simple.v1+json;q=0.5", 200, "html page", "text/html; charset=utf-8", CacheMutable},
		{"/npm/left-pad", "application/json", 200, "packument", "application/json", CacheMutable},
		{"/npm/@scope%2fname", "", 200, "scoped packument", "application/json", CacheMutable},
		{"/npm/@scope%2Fname", "", 200, "scoped packument", "application/json", CacheMutable},
		{"/npm/@scope/name", "", 200, "scoped packument", "application/json", CacheMutable},
		{"/npm/@scope/name/-/name-1.0.0.tgz", "", 200, "tarball", "application/gzip", CacheImmutable},
		{"/tuf/timestamp.json", "", 200, "ts", "application/json", CacheMutable},
		{"/tuf/3.snapshot.json", "", 200, "snap", "application/json", CacheImmutable},
		{"/../etc/passwd", "", 404, "", "", ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
			continue
		}
		if tt.status != 200 {
			continue
		}
		if string(body) != tt.body {
			t.Errorf("GET %s (Accept %q): body %q, want %q", tt.path, tt.accept, body, tt.body)
		}
		if got := resp.Header.Get("Content-Type"); got != tt.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tt.path, got, tt.ctype)
		}
		if got := resp.Header.Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", tt.path, got, tt.cache)
		}
	}
}

func TestRuleForPhases(t *testing.T) {
	tests := []struct {
		path  string
		phase Phase
	}{
		{"apt/pool/main/h/hello/hello_1.0_all.deb", PhaseBlob},
		{"apt/dists/stable/main/binary-amd64/Packages.xz", PhaseLeaf},
		{"apt/dists/stable/main/binary-amd64/by-hash/SHA256/ab", PhaseLeaf},
		{"apt/dists/stable/InRelease", PhaseRoot},
		{"yum/repodata/repomd.xml.asc", PhaseRoot},
		{"tuf/4.targets.json", PhaseTUF},
		{"tuf/timestamp.json", PhaseTimestamp},
	}
	for _, tt := range tests {
		if got := RuleFor(tt.path).Phase; got != tt.phase {
			t.Errorf("RuleFor(%q).Phase = %v, want %v", tt.path, got, tt.phase)
		}
	}
}

// An index and its detached signature are revalidated on every request so
// that a CDN never serves one new and the other old.
func TestRuleForSignaturePairs(t *testing.T) {
	for p, want := range map[string]string{
		"apt/dists/stable/Release":     CacheRevalidate,
		"apt/dists/stable/Release.gpg": CacheRevalidate,
		"yum/repodata/repomd.xml":      CacheRevalidate,
		"yum/repodata/repomd.xml.asc":  CacheRevalidate,
		"apt/dists/stable/InRelease":   CacheMutable,
		"tuf/timestamp.json":           CacheMutable,
	} {
		if got := RuleFor(p).CacheControl; got != want {
			t.Errorf("RuleFor(%q).CacheControl = %q, want %q", p, got, want)
		}
	}
}
