package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stockpile/stockpile/cdn"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/internal/miniotest"
)

// cdnNginx returns the shipped cdn/nginx.conf set to listen on addr in front
// of the store at origin (host:port), for a tree at originPath ("/BUCKET" or
// "/BUCKET/PREFIX").
func cdnNginx(t *testing.T, addr, origin, originPath string) string {
	t.Helper()
	conf := cdn.Nginx
	for _, r := range []struct{ old, new string }{
		{"listen 8080;", "listen " + addr + ";"},
		{"server 127.0.0.1:9000;", "server " + origin + ";"},
		{"proxy_set_header Host 127.0.0.1:9000;", "proxy_set_header Host " + origin + ";"},
		{"set $stockpile_origin_path /stockpile;", "set $stockpile_origin_path " + originPath + ";"},
		{"proxy_cache_path /var/cache/nginx/stockpile ", "proxy_cache_path " + filepath.Join(t.TempDir(), "cache") + " "},
	} {
		if strings.Count(conf, r.old) != 1 {
			t.Fatalf("cdn/nginx.conf no longer has the line %q this test replaces", r.old)
		}
		conf = strings.Replace(conf, r.old, r.new, 1)
	}
	return conf
}

// cdnResponse is what a client got from the CDN.
type cdnResponse struct {
	status int
	header http.Header
	body   []byte
}

// cdnGet fetches a URL as sent (no redirects followed, the path's encoding
// kept) with extra request headers given as name, value pairs.
func cdnGet(t *testing.T, method, rawURL string, headers ...string) cdnResponse {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	req := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	return cdnResponse{resp.StatusCode, resp.Header, body}
}

// recordingOrigin is an S3 stand-in that answers every GET with the request
// URI it received as the body, 403 for keys containing "missing" (S3
// without ListBucket), and MinIO's Vary header.
type recordingOrigin struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func newRecordingOrigin(t *testing.T) *recordingOrigin {
	o := &recordingOrigin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.seen = append(o.seen, r.Clone(context.Background()))
		o.mu.Unlock()
		w.Header().Set("Vary", "Origin, Accept-Encoding")
		if strings.Contains(r.URL.Path, "missing") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, "<Error><Code>AccessDenied</Code></Error>")
			return
		}
		rule := dist.RuleFor(strings.TrimPrefix(r.URL.Path, "/"))
		w.Header().Set("Content-Type", rule.ContentType)
		w.Header().Set("Cache-Control", rule.CacheControl)
		io.WriteString(w, r.RequestURI)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *recordingOrigin) take() []*http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	seen := o.seen
	o.seen = nil
	return seen
}

// bucketOrigin serves a tree the way S3 serves a bucket over its REST API:
// the path below /BUCKET/, decoded ('+' read as a space), is the key; no
// index documents, a missing key is 404.
func bucketOrigin(t *testing.T, bucket, tree string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.URL.EscapedPath(), "/"+bucket+"/")
		key, err := url.PathUnescape(strings.ReplaceAll(raw, "+", " "))
		if !ok || err != nil || !dist.ValidPath(key) {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(filepath.Join(tree, filepath.FromSlash(key)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		rule := dist.RuleFor(key)
		w.Header().Set("Content-Type", rule.ContentType)
		w.Header().Set("Cache-Control", rule.CacheControl)
		// ServeContent, not ServeFile: S3 does not redirect .../index.html.
		http.ServeContent(w, r, "", st.ModTime(), f)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const uvAccept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

// The shipped nginx rules send each URL form clients use to one key of the
// store, choose simple pages by Accept, redirect and hide what they must,
// cache by the store's Cache-Control, and forward no credentials.
func TestCDNNginxRules(t *testing.T) {
	nginx := requireTool(t, "nginx")
	origin := newRecordingOrigin(t)
	addr := freeAddr(t)
	startNginx(t, nginx, addr, cdnNginx(t, addr, strings.TrimPrefix(origin.URL, "http://"), "/bucket/pre"))
	base := "http://" + addr

	tests := []struct {
		path, accept string
		want         string // the request URI the store gets, or "STATUS [LOCATION]"
	}{
		{"/", "", "/bucket/pre/index.html"},
		{"/_site/apt/", "", "/bucket/pre/_site/apt/index.html"},
		{"/_site/site.css", "", "/bucket/pre/_site/site.css"},
		{"/apt/dists/stable/InRelease", "", "/bucket/pre/apt/dists/stable/InRelease"},
		{"/apt/dists/stable/Release?acl", "", "/bucket/pre/apt/dists/stable/Release"}, // never a sub-resource
		{"/pypi/files/foo/foo-1.0%2Blocal-py3-none-any.whl", "", "/bucket/pre/pypi/files/foo/foo-1.0%2Blocal-py3-none-any.whl"},
		// A literal '+' is the key's '+', which S3 reads only when encoded.
		{"/yum/Packages/l/libstdc++-1.0-1.x86_64.rpm", "", "/bucket/pre/yum/Packages/l/libstdc%2B%2B-1.0-1.x86_64.rpm"},
		{"/tuf/targets/a+b+c+d+e.txt", "", "/bucket/pre/tuf/targets/a%2Bb%2Bc%2Bd%2Be.txt"},
		{"/npm/left-pad/-/left-pad-1.0.0+b.tgz", "", "/bucket/pre/npm/left-pad/-/left-pad-1.0.0%2Bb.tgz"},
		{"/pypi/simple/", pipJSONAccept, "/bucket/pre/pypi/simple/index.json"},
		{"/pypi/simple/", pipHTMLAccept, "/bucket/pre/pypi/simple/index.html"},
		{"/pypi/simple/foo-bar/", pipJSONAccept, "/bucket/pre/pypi/simple/foo-bar/index.json"},
		{"/pypi/simple/foo-bar/", uvAccept, "/bucket/pre/pypi/simple/foo-bar/index.json"},
		{"/pypi/simple/foo-bar/", pipHTMLAccept, "/bucket/pre/pypi/simple/foo-bar/index.html"},
		{"/pypi/simple/foo-bar/", "*/*", "/bucket/pre/pypi/simple/foo-bar/index.html"},
		{"/pypi/simple/foo-bar/", "", "/bucket/pre/pypi/simple/foo-bar/index.html"},
		{"/pypi/simple/foo-bar/", "text/html, application/vnd.pypi.simple.v1+json", "/bucket/pre/pypi/simple/foo-bar/index.html"},
		{"/pypi/simple/foo-bar/", "application/vnd.pypi.simple.v1+json;q=0", "/bucket/pre/pypi/simple/foo-bar/index.html"},
		{"/pypi/simple/foo-bar/index.json", pipHTMLAccept, "/bucket/pre/pypi/simple/foo-bar/index.json"},
		{"/pypi/simple", "", "301 /pypi/simple/"},
		{"/pypi/simple/foo-bar", pipJSONAccept, "301 /pypi/simple/foo-bar/"},
		{"/pypi/simple/foo-bar?a=1&b", "", "301 /pypi/simple/foo-bar/?a=1&b"},
		{"/other/simple/foo/", pipJSONAccept, "/bucket/pre/other/simple/foo/index.html"},
		{"/npm/left-pad", "", "/bucket/pre/npm/left-pad/index.json"},
		{"/npm/left-pad/", "", "/bucket/pre/npm/left-pad/index.json"},
		{"/npm/@s%2fn", "", "/bucket/pre/npm/@s/n/index.json"},
		{"/npm/@s%2Fn", "", "/bucket/pre/npm/@s/n/index.json"},
		{"/npm/@s/n", "", "/bucket/pre/npm/@s/n/index.json"},
		{"/npm/%40s%2fn", "", "/bucket/pre/npm/@s/n/index.json"},
		{"/npm/@s%2Fn/latest", "", "/bucket/pre/npm/@s/n/latest/index.json"},
		{"/npm/-/npm/v1/keys", "", "/bucket/pre/npm/-/npm/v1/keys/index.json"},
		{"/npm/left-pad/-/left-pad-1.0.0%2Bb.tgz", "", "/bucket/pre/npm/left-pad/-/left-pad-1.0.0%2Bb.tgz"},
		{"/npm/@s%2fn/-/n-1.0.0.tgz", "", "/bucket/pre/npm/@s/n/-/n-1.0.0.tgz"},
		{"/npm/@s/n/-/n-1.0.0.tgz", "", "/bucket/pre/npm/@s/n/-/n-1.0.0.tgz"},
		{"/npm/", "", "/bucket/pre/npm/index.html"},
		{"/npm/left-pad/index.json", "", "/bucket/pre/npm/left-pad/index.json"},
		{"/npm/@s/n/latest/index.json", "", "/bucket/pre/npm/@s/n/latest/index.json"},
		{"/npm/index.json", "", "/bucket/pre/npm/index.json/index.json"},
		{"/npm/left-pad/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.json", "", "/bucket/pre/npm/left-pad/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.json"},
		{"/pypi/simple/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.json", "", "/bucket/pre/pypi/simple/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.json"},
		{"/pypi/simple/foo/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.html", "", "/bucket/pre/pypi/simple/foo/4acad0f808372547828b74d16877503541a157e9369f50812cb697110dd399ce.index.html"},
		{"/apt/pool/missing.deb", "", "404"},
		{"/.stockpile/state.json", "", "404"},
		{"/%2estockpile/state.json", "", "404"},
		{"/npm/..%2f.stockpile/lock", "", "404"},
		{"/apt/%2E%2E/x", "", "404"},
		{"/apt/dists/.tmp-123/Release", "", "404"},
	}
	for _, tt := range tests {
		origin.take()
		res := cdnGet(t, "GET", base+tt.path, "Accept", tt.accept)
		got := string(res.body)
		switch res.status {
		case http.StatusOK:
		case http.StatusMovedPermanently:
			got = "301 " + res.header.Get("Location")
		default:
			got = fmt.Sprint(res.status)
		}
		if got != tt.want {
			t.Errorf("GET %s (Accept %q) = %q, want %q", tt.path, tt.accept, got, tt.want)
		}
		seen := origin.take()
		if strings.HasPrefix(tt.want, "301") || (tt.want == "404" && !strings.Contains(tt.path, "missing")) {
			if len(seen) != 0 {
				t.Errorf("GET %s reached the store as %s", tt.path, seen[0].RequestURI)
			}
		}
		if res.status == http.StatusOK {
			wantVary := ""
			if strings.HasPrefix(tt.path, "/pypi/simple/") && strings.HasSuffix(tt.path, "/") {
				wantVary = "Accept"
			}
			if got := res.header.Get("Vary"); got != wantVary {
				t.Errorf("GET %s: Vary %q, want %q", tt.path, got, wantVary)
			}
		}
	}

	// The store's Cache-Control decides: a year-long file is served from the
	// cache from then on; the simple page for JSON clients is not the one
	// for HTML clients.
	deb := "/apt/pool/main/h/hello_1.0_all.deb"
	for i, want := range []string{"MISS", "HIT", "HIT"} {
		res := cdnGet(t, "GET", base+deb)
		if got := res.header.Get("X-Cache-Status"); got != want {
			t.Errorf("GET %s #%d: X-Cache-Status %q, want %q", deb, i+1, got, want)
		}
		if res.header.Get("Cache-Control") != dist.CacheImmutable || res.header.Get("Content-Type") != "application/vnd.debian.binary-package" {
			t.Errorf("GET %s: headers %v", deb, res.header)
		}
	}
	for _, tt := range []struct{ accept, body, cache string }{
		{pipJSONAccept, "/bucket/pre/pypi/simple/cached/index.json", "MISS"},
		{pipHTMLAccept, "/bucket/pre/pypi/simple/cached/index.html", "MISS"},
		{uvAccept, "/bucket/pre/pypi/simple/cached/index.json", "HIT"},
		{"", "/bucket/pre/pypi/simple/cached/index.html", "HIT"},
	} {
		res := cdnGet(t, "GET", base+"/pypi/simple/cached/", "Accept", tt.accept)
		if string(res.body) != tt.body || res.header.Get("X-Cache-Status") != tt.cache {
			t.Errorf("GET /pypi/simple/cached/ (Accept %q) = %q, %s; want %q, %s", tt.accept, res.body, res.header.Get("X-Cache-Status"), tt.body, tt.cache)
		}
	}

	// A client's credentials never reach the store (they could put private
	// objects into the shared cache); only GET and HEAD are served.
	origin.take()
	cdnGet(t, "GET", base+"/apt/dists/stable/Release.gpg", "Authorization", "AWS4-HMAC-SHA256 Credential=x", "Cookie", "a=b")
	for _, r := range origin.take() {
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
			t.Errorf("the store got Authorization %q, Cookie %q", r.Header.Get("Authorization"), r.Header.Get("Cookie"))
		}
	}
	if res := cdnGet(t, "HEAD", base+deb); res.status != http.StatusOK || res.header.Get("X-Cache-Status") != "HIT" {
		t.Errorf("HEAD %s = %d, %s", deb, res.status, res.header.Get("X-Cache-Status"))
	}
	if res := cdnGet(t, "POST", base+deb); res.status != http.StatusMethodNotAllowed {
		t.Errorf("POST %s = %d, want 405", deb, res.status)
	}
}

// A registry built, published to a real S3 server (MinIO) and served through
// the shipped CDN rules (nginx, and the CloudFront function in front of the
// same store) is one apt-get, dnf, pip and npm install from, every
// signature check on; every object comes through with its bytes and headers,
// '+' in keys included, and nginx caches what may be cached.
func TestPublishCDNEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	nginx := requireTool(t, "nginx")
	node := requireTool(t, "node")
	requireTool(t, "apt-get")
	requireTool(t, "dnf")
	tools := findJSTools(t)
	mc := miniotest.Start(t)
	// The AWS SDK reads credentials from the process environment.
	for _, kv := range mc.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_PROFILE", "")

	edges := []struct {
		name   string
		cached bool // reports X-Cache-Status
		start  func(t *testing.T, addr, originPath string)
	}{
		{"nginx", true, func(t *testing.T, addr, originPath string) {
			startNginx(t, nginx, addr, cdnNginx(t, addr, strings.TrimPrefix(mc.Endpoint, "http://"), originPath))
		}},
		{"cloudfront", false, func(t *testing.T, addr, originPath string) {
			startCloudFrontEdge(t, node, addr, mc.Endpoint+originPath)
		}},
	}
	for _, edge := range edges {
		t.Run(edge.name, func(t *testing.T) {
			testPublishCDN(t, mc, tools, edge.name, edge.cached, edge.start)
		})
	}
}

// testPublishCDN builds the example registry for a CDN at a new address,
// publishes it under its own prefix, starts the CDN in front of it, and
// checks what clients get.
func testPublishCDN(t *testing.T, mc *miniotest.Server, tools *jsTools, name string, cached bool, start func(t *testing.T, addr, originPath string)) {
	addr := freeAddr(t)
	base := "http://" + addr
	reg := exampleRegistry(t)
	out := filepath.Join(t.TempDir(), "public")
	mustStockpile(t, "build", "-C", reg, "-o", out, "--base-url", base+"/")

	prefix := "registry-" + name
	getenv := func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return mc.Getenv(k)
	}
	publishTree := func() (files, uploaded int) {
		t.Helper()
		code, stdout, stderr := stockpile(t, getenv, "publish", out, "-C", reg, "--to", "s3://"+mc.Bucket+"/"+prefix, "--endpoint", mc.Endpoint, "--json")
		if code != 0 {
			t.Fatalf("stockpile publish: exit %d\n%s", code, stderr)
		}
		var report struct{ Files, New, Changed int }
		if err := json.Unmarshal([]byte(stdout), &report); err != nil {
			t.Fatalf("publish --json: %v\n%s", err, stdout)
		}
		return report.Files, report.New + report.Changed
	}
	tree := treeFiles(t, out)
	if files, uploaded := publishTree(); files != len(tree) || uploaded != len(tree) {
		t.Errorf("publish of a tree of %d files: %d files, %d uploaded", len(tree), files, uploaded)
	}
	if _, uploaded := publishTree(); uploaded != 0 {
		t.Errorf("publishing the same tree again uploaded %d files", uploaded)
	}
	stored := bucketKeys(t, mc, prefix+"/")
	var records []string
	for key := range stored {
		if rel := strings.TrimPrefix(key, prefix+"/"); strings.HasPrefix(rel, ".stockpile/") {
			records = append(records, rel)
		} else if _, ok := tree[rel]; !ok {
			t.Errorf("the bucket holds %s, which the tree does not", key)
		}
	}
	for name := range tree {
		if !stored[prefix+"/"+name] {
			t.Errorf("publish did not upload %s", name)
		}
	}

	start(t, addr, "/"+mc.Bucket+"/"+prefix)

	// Every file by its own name, as a client encodes it ('+' as %2B): the
	// bytes of the tree, with the headers publish set from dist.RuleFor,
	// fetched from the store the first time.
	for name, data := range tree {
		res := cdnGet(t, "GET", base+"/"+strings.ReplaceAll(name, "+", "%2B"))
		rule := dist.RuleFor(name)
		if res.status != http.StatusOK || !bytes.Equal(res.body, []byte(data)) {
			t.Errorf("GET /%s = %d, %d bytes; want 200, %d bytes", name, res.status, len(res.body), len(data))
			continue
		}
		if got := res.header.Get("X-Cache-Status"); cached && got != "MISS" {
			t.Errorf("GET /%s the first time: X-Cache-Status %q, want MISS", name, got)
		}
		if res.header.Get("Content-Type") != rule.ContentType || res.header.Get("Cache-Control") != rule.CacheControl || res.header.Get("Content-Encoding") != "" {
			t.Errorf("GET /%s: Content-Type %q, Cache-Control %q, Content-Encoding %q; want %q, %q, none", name,
				res.header.Get("Content-Type"), res.header.Get("Cache-Control"), res.header.Get("Content-Encoding"), rule.ContentType, rule.CacheControl)
		}
	}

	// The URLs clients ask for, and what they get.
	greetingWheel := "/pypi/files/stockpile-greeting/stockpile_greeting-1.2%2Bdemo-py3-none-any.whl"
	tests := []struct {
		path, accept string
		status       int
		key          string // the tree file served
		contentType  string
		cache        string
	}{
		{"/", "", 200, "index.html", "text/html; charset=utf-8", dist.CacheMutable},
		{"/apt/pool/main/h/hello-stockpile_1.0.0-1_all.deb", "", 200, "apt/pool/main/h/hello-stockpile_1.0.0-1_all.deb", "application/vnd.debian.binary-package", dist.CacheImmutable},
		{"/apt/dists/stable/InRelease", "", 200, "apt/dists/stable/InRelease", "text/plain; charset=utf-8", dist.CacheMutable},
		{"/yum/repodata/repomd.xml", "", 200, "yum/repodata/repomd.xml", "application/xml", dist.CacheRevalidate},
		{"/pypi/simple/stockpile-greeting/", pipJSONAccept, 200, "pypi/simple/stockpile-greeting/index.json", dist.PyPIJSON, dist.CacheMutable},
		{"/pypi/simple/stockpile-greeting/", pipHTMLAccept, 200, "pypi/simple/stockpile-greeting/index.html", "text/html; charset=utf-8", dist.CacheMutable},
		{"/pypi/simple/stockpile-greeting", pipJSONAccept, 301, "", "", ""},
		{greetingWheel, "", 200, "pypi/files/stockpile-greeting/stockpile_greeting-1.2+demo-py3-none-any.whl", "application/zip", dist.CacheImmutable},
		// A literal '+', as dnf and TUF clients send it: the CDN encodes it.
		{strings.ReplaceAll(greetingWheel, "%2B", "+") + ".metadata", "", 200, "pypi/files/stockpile-greeting/stockpile_greeting-1.2+demo-py3-none-any.whl.metadata", "text/plain; charset=utf-8", dist.CacheImmutable},
		{"/npm/@stockpile-demo%2fhello", "application/json", 200, "npm/@stockpile-demo/hello/index.json", "application/json", dist.CacheMutable},
		{"/npm/@stockpile-demo%2Fhello/latest", "", 200, "npm/@stockpile-demo/hello/latest/index.json", "application/json", dist.CacheMutable},
		{"/npm/@stockpile-demo%2fhello/-/hello-1.0.0.tgz", "", 200, "npm/@stockpile-demo/hello/-/hello-1.0.0.tgz", "application/gzip", dist.CacheImmutable},
		{"/npm/stockpile-greeting", "", 200, "npm/stockpile-greeting/index.json", "application/json", dist.CacheMutable},
		{"/npm/-/npm/v1/keys", "", 200, "npm/-/npm/v1/keys/index.json", "application/json", dist.CacheMutable},
		{"/npm/no-such-package", "", 404, "", "", ""},
		{"/apt/pool/main/n/nothing_1.0_all.deb", "", 404, "", "", ""},
		// The next TUF root does not exist yet: clients must read 404 (a
		// 403 would break every refresh).
		{"/tuf/2.root.json", "", 404, "", "", ""},
	}
	for _, tt := range tests {
		res := cdnGet(t, "GET", base+tt.path, "Accept", tt.accept)
		if res.status != tt.status {
			t.Errorf("GET %s (Accept %q) = %d, want %d", tt.path, tt.accept, res.status, tt.status)
			continue
		}
		if tt.status != http.StatusOK {
			continue
		}
		if !bytes.Equal(res.body, []byte(tree[tt.key])) {
			t.Errorf("GET %s (Accept %q) did not serve %s", tt.path, tt.accept, tt.key)
		}
		if res.header.Get("Content-Type") != tt.contentType || res.header.Get("Cache-Control") != tt.cache {
			t.Errorf("GET %s (Accept %q): Content-Type %q, Cache-Control %q; want %q, %q", tt.path, tt.accept,
				res.header.Get("Content-Type"), res.header.Get("Cache-Control"), tt.contentType, tt.cache)
		}
	}
	// Fetched once above: an immutable file now comes from the cache.
	for _, p := range []string{"/apt/pool/main/h/hello-stockpile_1.0.0-1_all.deb", greetingWheel} {
		if res := cdnGet(t, "GET", base+p); cached && res.header.Get("X-Cache-Status") != "HIT" {
			t.Errorf("GET %s again: X-Cache-Status %q, want HIT", p, res.header.Get("X-Cache-Status"))
		}
	}
	// Publish's records are in the bucket, readable by anyone there, but
	// not through the CDN.
	if len(records) == 0 {
		t.Errorf("publish kept no records under %s/.stockpile/", prefix)
	}
	for _, rel := range records {
		if res := cdnGet(t, "GET", base+"/"+rel); res.status != http.StatusNotFound {
			t.Errorf("GET /%s through the CDN = %d, want 404", rel, res.status)
		}
	}

	t.Run("clients", func(t *testing.T) {
		t.Run("apt", func(t *testing.T) {
			t.Parallel()
			apt := newAptClient(t, base+"/apt/", filepath.Join(out, "apt/key.gpg"))
			if log, err := apt.run("update"); err != nil || strings.Contains(log, "W:") || strings.Contains(log, "E:") {
				t.Fatalf("apt-get update: %v\n%s", err, log)
			}
			if log, err := apt.run("install", "-y", "--download-only", "hello-stockpile", "stockpile-tools"); err != nil {
				t.Fatalf("apt-get install: %v\n%s", err, log)
			}
			for _, want := range []string{"hello-stockpile_1.0.0-1_all.deb", "stockpile-greeting_1%3a1.2+demo-1_all.deb", "stockpile-tools_2.0~beta1-1_amd64.deb"} {
				if _, err := os.Stat(filepath.Join(apt.root, "cache/archives", want)); err != nil {
					t.Errorf("apt-get did not download %s", want)
				}
			}
		})
		t.Run("dnf", func(t *testing.T) {
			t.Parallel()
			// The published .repo file: baseurl and both keys on the CDN,
			// gpgcheck and repo_gpgcheck on.
			dnf := newDNFClient(t, base+"/yum/")
			repoFile := []byte(tree["yum/yum.repo"])
			for _, want := range []string{"baseurl=" + base + "/yum/", "gpgcheck=1", "repo_gpgcheck=1"} {
				if !bytes.Contains(repoFile, []byte(want)) {
					t.Fatalf("yum.repo lacks %q:\n%s", want, repoFile)
				}
			}
			os.WriteFile(filepath.Join(dnf.root, "repos", "yum.repo"), repoFile, 0o644)
			dnf.repo = []string{"--repo=yum"}
			if log, err := dnf.install("hello-stockpile", "stockpile-tools"); err != nil {
				t.Fatalf("dnf install: %v\n%s", err, log)
			}
			want := "hello-stockpile-1.0.0-1.noarch.rpm stockpile-greeting-1.2_demo-1.noarch.rpm stockpile-tools-2.0~beta1-1.x86_64.rpm"
			if got := strings.Join(dnf.downloaded(), " "); got != want {
				t.Errorf("dnf downloaded %s, want %s", got, want)
			}
		})
		t.Run("pip", func(t *testing.T) {
			t.Parallel()
			py := pyInterps[0]
			requirePython(t, py)
			venv := pyVenv(t, py.exe)
			if log, err := pip(t, venv, "install", "--index-url", base+"/pypi/simple/", "stockpile-hello"); err != nil {
				t.Fatalf("pip install stockpile-hello: %v\n%s", err, log)
			}
			if got, err := pyCmd(t, "", venv, "-m", "stockpile_hello"); err != nil || strings.TrimSpace(got) != "Hello from Stockpile!" {
				t.Errorf("python -m stockpile_hello printed %q (%v)", got, err)
			}
			if got, _ := pyCmd(t, "", venv, "-c", "import stockpile_greeting; print(stockpile_greeting.__version__)"); strings.TrimSpace(got) != "1.2+demo" {
				t.Errorf("installed stockpile-greeting %q, want 1.2+demo", got)
			}
		})
		t.Run("pip-html", func(t *testing.T) {
			t.Parallel()
			// An old pip reads the HTML pages, without the trailing slash.
			py := pyInterps[1]
			requirePython(t, py)
			dir := t.TempDir()
			if log, err := pip(t, py.exe, "download", "--index-url", base+"/pypi/simple", "-d", dir, "stockpile-hello"); err != nil {
				t.Fatalf("pip download: %v\n%s", err, log)
			}
			if got := strings.Join(downloaded(t, dir), " "); got != "stockpile_greeting-1.2+demo-py3-none-any.whl stockpile_hello-1.0.0-py3-none-any.whl" {
				t.Errorf("pip downloaded %s", got)
			}
		})
		t.Run("npm", func(t *testing.T) {
			t.Parallel()
			project := newProject(t, "demo")
			mustRunJS(t, project, jsEnv(filepath.Join(project, "..", "home")), tools.npm, "install",
				"--registry", base+"/npm/", "--cache", filepath.Join(t.TempDir(), "cache"), "@stockpile-demo/hello")
			got := mustRunJS(t, project, jsEnv(filepath.Join(project, "..", "home")), filepath.Join(project, "node_modules/.bin/hello-stockpile"))
			if strings.TrimSpace(got) != "Hello from a static npm registry!" {
				t.Errorf("hello-stockpile printed %q", got)
			}
		})
	})
}

// bucketKeys lists every key under prefix in the server's bucket.
func bucketKeys(t *testing.T, mc *miniotest.Server, prefix string) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(mc.Client, &s3.ListObjectsV2Input{Bucket: aws.String(mc.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys[aws.ToString(o.Key)] = true
		}
	}
	return keys
}

// startCloudFrontEdge serves addr as a CloudFront distribution with the
// shipped function would: the function (in Node.js) sees each viewer request
// first and may answer it; otherwise the URI it leaves is fetched, as it is
// written, from origin (the store's URL, path-style, with the origin path),
// without the viewer's headers or query string, and a 403 becomes a 404
// (the custom error response of docs/cdn.md).
func startCloudFrontEdge(t *testing.T, node, addr, origin string) {
	t.Helper()
	fn := newCFFunction(t, node)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		res, err := fn.handle(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if res.StatusCode != 0 {
			for k, v := range res.Headers {
				w.Header().Set(k, v.Value)
			}
			w.WriteHeader(res.StatusCode)
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, origin+res.URI, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound {
			http.NotFound(w, r)
			return
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "Content-Length", "ETag", "Last-Modified"} {
			if v := resp.Header.Get(h); v != "" {
				w.Header().Set(h, v)
			}
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

// cfFunction runs cdn/cloudfront-function.js in Node.js, one event per line.
type cfFunction struct {
	mu  sync.Mutex
	in  io.Writer
	out *bufio.Scanner
}

// cfResult is what the function returns: a request, or a response.
type cfResult struct {
	URI        string `json:"uri"`
	StatusCode int    `json:"statusCode"`
	Headers    map[string]struct {
		Value string `json:"value"`
	} `json:"headers"`
}

func newCFFunction(t *testing.T, node string) *cfFunction {
	t.Helper()
	script := cdn.CloudFrontFunction + `
require('readline').createInterface({ input: process.stdin }).on('line', function (line) {
    var r = handler(JSON.parse(line));
    console.log(JSON.stringify(r.statusCode ? r : { uri: r.uri }));
});
`
	cmd := exec.Command(node, "-e", script)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); cmd.Wait() })
	return &cfFunction{in: in, out: bufio.NewScanner(out)}
}

// handle runs the function on a viewer request, as CloudFront presents it:
// the path as sent, header names in lower case, the query string parsed.
func (f *cfFunction) handle(r *http.Request) (cfResult, error) {
	uri, _, _ := strings.Cut(r.RequestURI, "?")
	headers := map[string]any{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = map[string]string{"value": strings.Join(v, ",")}
	}
	qs := map[string]any{}
	for k, vs := range r.URL.Query() {
		var multi []map[string]string
		for _, v := range vs {
			multi = append(multi, map[string]string{"value": v})
		}
		qs[k] = map[string]any{"value": vs[0], "multiValue": multi}
	}
	event, err := json.Marshal(map[string]any{
		"version": "1.0", "context": map[string]string{"eventType": "viewer-request"},
		"viewer":  map[string]string{"ip": "127.0.0.1"},
		"request": map[string]any{"method": r.Method, "uri": uri, "headers": headers, "querystring": qs, "cookies": map[string]any{}},
	})
	if err != nil {
		return cfResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := fmt.Fprintf(f.in, "%s\n", event); err != nil {
		return cfResult{}, err
	}
	if !f.out.Scan() {
		return cfResult{}, fmt.Errorf("node: %v", f.out.Err())
	}
	var res cfResult
	err = json.Unmarshal(f.out.Bytes(), &res)
	return res, err
}
