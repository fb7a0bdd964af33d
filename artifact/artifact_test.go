package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/source"
)

func sha(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// manifest describes data at src, as packages/apt/<name>.yaml would.
func manifest(name, src string, data []byte) *config.Manifest {
	return &config.Manifest{
		Path:   "packages/apt/" + name + ".yaml",
		Line:   1,
		Repo:   "apt",
		File:   name + ".deb",
		SHA256: sha(data),
		Size:   int64(len(data)),
		Source: src,
		Lines:  map[string]int{"file": 1, "sha256": 2, "size": 3, "source": 4},
	}
}

func digestOf(t *testing.T, data []byte) digest.Set {
	t.Helper()
	d, err := digest.Of(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// future is a clock for which every file is old enough for the stat cache.
func future() time.Time { return time.Now().Add(time.Hour) }

func newResolver(t *testing.T, opts Options) *Resolver {
	t.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	if opts.Backoff == 0 {
		opts.Backoff = time.Millisecond
	}
	if opts.Clock == nil {
		opts.Clock = future
	}
	r := New(opts)
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func resolveOK(t *testing.T, r *Resolver, m *config.Manifest, data []byte) string {
	t.Helper()
	local, d, err := r.Resolve(context.Background(), m)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", m.Source, err)
	}
	if diff := cmp.Diff(digestOf(t, data), d); diff != "" {
		t.Errorf("Resolve(%s) digests (-want +got):\n%s", m.Source, diff)
	}
	got, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("Resolve(%s) = %s holding %q, want %q", m.Source, local, got, data)
	}
	return local
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// age sets the modification time of name an hour back.
func age(t *testing.T, name string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(name, old, old); err != nil {
		t.Fatal(err)
	}
}

// cachedBlobs lists the files below the cache's sha256/ folder.
func cachedBlobs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(dir, "sha256"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

func checkMismatch(t *testing.T, err error, field, pos string, want, got string) {
	t.Helper()
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("error = %v, want a *MismatchError", err)
	}
	if me.Field != field || me.Pos != pos || me.Want != want || me.Got != got {
		t.Errorf("MismatchError = %+v, want field %s at %s, %s vs %s", me, field, pos, want, got)
	}
	for _, s := range []string{pos, me.Source, want, got} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

func TestWorkingTree(t *testing.T) {
	root := t.TempDir()
	data := []byte("a debian package")
	p := filepath.Join(root, "blobs", "apt", "x.deb")
	writeFile(t, p, data)
	cache := t.TempDir()
	r := newResolver(t, Options{CacheDir: cache, Root: os.DirFS(root), RootDir: root})

	if local := resolveOK(t, r, manifest("x", "blobs/apt/x.deb", data), data); local != p {
		t.Errorf("Resolve = %s, want the working-tree file %s itself", local, p)
	}
	if got := cachedBlobs(t, cache); len(got) != 0 {
		t.Errorf("cache holds %q, want nothing copied", got)
	}

	t.Run("wrong sha256", func(t *testing.T) {
		m := manifest("x", "blobs/apt/x.deb", data)
		m.SHA256 = strings.Repeat("0", 64)
		_, _, err := r.Resolve(context.Background(), m)
		checkMismatch(t, err, "sha256", "packages/apt/x.yaml:2", m.SHA256, sha(data))
	})
	t.Run("wrong size", func(t *testing.T) {
		m := manifest("x", "blobs/apt/x.deb", data)
		m.Size++
		_, _, err := r.Resolve(context.Background(), m)
		checkMismatch(t, err, "size", "packages/apt/x.yaml:3", fmt.Sprint(len(data)+1), fmt.Sprint(len(data)))
	})
	t.Run("missing", func(t *testing.T) {
		_, _, err := r.Resolve(context.Background(), manifest("y", "blobs/apt/y.deb", data))
		if err == nil || !strings.Contains(err.Error(), "packages/apt/y.yaml:4") || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error = %v, want not-exist at packages/apt/y.yaml:4", err)
		}
	})
	t.Run("folder", func(t *testing.T) {
		_, _, err := r.Resolve(context.Background(), manifest("y", "blobs/apt", data))
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("error = %v, want not a regular file", err)
		}
	})
}

func TestFileURL(t *testing.T) {
	data := []byte("bytes outside the repository")
	p := filepath.Join(t.TempDir(), "dir with space", "x.deb")
	writeFile(t, p, data)
	cache := t.TempDir()
	r := newResolver(t, Options{CacheDir: cache})
	src := "file://" + filepath.ToSlash(strings.ReplaceAll(p, " ", "%20"))
	if local := resolveOK(t, r, manifest("x", src, data), data); local != p {
		t.Errorf("Resolve = %s, want %s itself", local, p)
	}
	if got := cachedBlobs(t, cache); len(got) != 0 {
		t.Errorf("cache holds %q, want nothing copied", got)
	}
}

// gitRepository commits files into a new repository and returns it opened
// at HEAD.
func gitRepository(t *testing.T, files map[string][]byte) *source.Snapshot {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), data)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add("."); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "Test", Email: "test@example.com", When: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	if _, err := wt.Commit("add blobs", &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		t.Fatal(err)
	}
	s, err := source.Open(dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestGitObjects(t *testing.T) {
	data := []byte("a package committed to git")
	big := bytes.Repeat([]byte("large blob "), 200000)
	snap := gitRepository(t, map[string][]byte{
		"blobs/apt/x.deb":       data,
		"blobs/apt/big/big.deb": big,
	})
	cache := t.TempDir()
	r := newResolver(t, Options{CacheDir: cache, Root: snap.FS, RootDir: snap.Dir})

	local := resolveOK(t, r, manifest("x", "blobs/apt/x.deb", data), data)
	if want := filepath.Join(cache, "sha256", sha(data)[:2], sha(data)); local != want {
		t.Errorf("Resolve = %s, want the cache entry %s", local, want)
	}
	resolveOK(t, r, manifest("big", "blobs/apt/big/big.deb", big), big)
	want := []string{
		"sha256/" + sha(big)[:2] + "/" + sha(big), "sha256/" + sha(big)[:2] + "/" + sha(big) + ".json",
		"sha256/" + sha(data)[:2] + "/" + sha(data), "sha256/" + sha(data)[:2] + "/" + sha(data) + ".json",
	}
	if diff := cmp.Diff(want, cachedBlobs(t, cache), cmpSorted); diff != "" {
		t.Errorf("cache (-want +got):\n%s", diff)
	}

	// A later build finds the bytes cached without reading the repository.
	r2 := newResolver(t, Options{CacheDir: cache, Root: fstest.MapFS{}})
	resolveOK(t, r2, manifest("x", "blobs/apt/x.deb", data), data)

	t.Run("wrong bytes", func(t *testing.T) {
		m := manifest("x", "blobs/apt/x.deb", []byte("other bytes of same length!"))
		m.Size = int64(len(data))
		_, _, err := r.Resolve(context.Background(), m)
		checkMismatch(t, err, "sha256", "packages/apt/x.yaml:2", m.SHA256, sha(data))
		if got := cachedBlobs(t, cache); len(got) != 4 {
			t.Errorf("cache holds %q after a mismatch, want it unchanged", got)
		}
		if tmp, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(tmp) != 0 {
			t.Errorf("tmp holds %d files after a mismatch, want none", len(tmp))
		}
	})
	t.Run("missing", func(t *testing.T) {
		_, _, err := r.Resolve(context.Background(), manifest("y", "blobs/apt/y.deb", []byte("y")))
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "packages/apt/y.yaml:4: source blobs/apt/y.deb") {
			t.Errorf("error = %v, want not-exist naming manifest and source", err)
		}
	})
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// server serves data at every path, after failing the first fails
// requests with status failWith.
type server struct {
	data     []byte
	fails    int
	failWith int
	requests atomic.Int64
}

func (s *server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	n := s.requests.Add(1)
	if int(n) <= s.fails {
		http.Error(w, "try later", s.failWith)
		return
	}
	w.Write(s.data)
}

func TestHTTP(t *testing.T) {
	data := []byte("bytes served over http")

	t.Run("cached after the first fetch", func(t *testing.T) {
		s := &server{data: data}
		ts := httptest.NewServer(s)
		defer ts.Close()
		cache := t.TempDir()
		r := newResolver(t, Options{CacheDir: cache})
		m := manifest("x", ts.URL+"/pool/x.deb", data)
		local := resolveOK(t, r, m, data)
		if !strings.HasPrefix(local, cache) {
			t.Errorf("Resolve = %s, want a file in the cache %s", local, cache)
		}
		resolveOK(t, r, m, data)
		// A new resolver, as in the next build.
		resolveOK(t, newResolver(t, Options{CacheDir: cache}), m, data)
		if n := s.requests.Load(); n != 1 {
			t.Errorf("server got %d requests, want 1", n)
		}
	})

	t.Run("retries 503", func(t *testing.T) {
		s := &server{data: data, fails: 2, failWith: http.StatusServiceUnavailable}
		ts := httptest.NewServer(s)
		defer ts.Close()
		r := newResolver(t, Options{})
		resolveOK(t, r, manifest("x", ts.URL+"/x.deb", data), data)
		if n := s.requests.Load(); n != 3 {
			t.Errorf("server got %d requests, want 3", n)
		}
	})

	t.Run("retries 429", func(t *testing.T) {
		s := &server{data: data, fails: 1, failWith: http.StatusTooManyRequests}
		ts := httptest.NewServer(s)
		defer ts.Close()
		resolveOK(t, newResolver(t, Options{}), manifest("x", ts.URL+"/x.deb", data), data)
	})

	t.Run("gives up", func(t *testing.T) {
		s := &server{data: data, fails: 100, failWith: http.StatusBadGateway}
		ts := httptest.NewServer(s)
		defer ts.Close()
		r := newResolver(t, Options{Attempts: 3})
		_, _, err := r.Resolve(context.Background(), manifest("x", ts.URL+"/x.deb", data))
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "502 Bad Gateway") || !strings.Contains(err.Error(), "3 attempts") ||
			!strings.Contains(err.Error(), "packages/apt/x.yaml:4: source "+ts.URL+"/x.deb") {
			t.Errorf("error = %v, want 502 after 3 attempts, naming manifest and URL", err)
		}
		if n := s.requests.Load(); n != 3 {
			t.Errorf("server got %d requests, want 3", n)
		}
	})

	t.Run("404 is final", func(t *testing.T) {
		s := &server{fails: 100, failWith: http.StatusNotFound}
		ts := httptest.NewServer(s)
		defer ts.Close()
		_, _, err := newResolver(t, Options{}).Resolve(context.Background(), manifest("x", ts.URL+"/x.deb", data))
		if err == nil || !strings.Contains(err.Error(), "404 Not Found") {
			t.Errorf("error = %v, want 404", err)
		}
		if n := s.requests.Load(); n != 1 {
			t.Errorf("server got %d requests, want 1", n)
		}
	})

	t.Run("wrong bytes", func(t *testing.T) {
		wrong := bytes.ToUpper(data)
		s := &server{data: wrong}
		ts := httptest.NewServer(s)
		defer ts.Close()
		cache := t.TempDir()
		m := manifest("x", ts.URL+"/x.deb", data)
		r := newResolver(t, Options{CacheDir: cache})
		_, _, err := r.Resolve(context.Background(), m)
		checkMismatch(t, err, "sha256", "packages/apt/x.yaml:2", sha(data), sha(wrong))
		want := fmt.Sprintf("packages/apt/x.yaml:2: %s/x.deb: manifest says sha256 %s, source has %s", ts.URL, sha(data), sha(wrong))
		if err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
		if got := cachedBlobs(t, cache); len(got) != 0 {
			t.Errorf("cache holds %q after a mismatch, want nothing", got)
		}
		if tmp, _ := os.ReadDir(filepath.Join(cache, "tmp")); len(tmp) != 0 {
			t.Errorf("tmp holds %d files after a mismatch, want none", len(tmp))
		}
		// Not retried, and not cached: a second try asks again.
		r.Resolve(context.Background(), m)
		if n := s.requests.Load(); n != 2 {
			t.Errorf("server got %d requests, want 2", n)
		}
	})

	t.Run("too many bytes", func(t *testing.T) {
		s := &server{data: append(append([]byte{}, data...), "and more"...)}
		ts := httptest.NewServer(s)
		defer ts.Close()
		_, _, err := newResolver(t, Options{}).Resolve(context.Background(), manifest("x", ts.URL+"/x.deb", data))
		checkMismatch(t, err, "size", "packages/apt/x.yaml:3", fmt.Sprint(len(data)), fmt.Sprint(len(s.data)))
	})

	t.Run("credentials stay out of errors", func(t *testing.T) {
		s := &server{fails: 100, failWith: http.StatusForbidden}
		ts := httptest.NewServer(s)
		defer ts.Close()
		src := strings.Replace(ts.URL, "http://", "http://user:hunter2@", 1) + "/x.deb?X-Amz-Signature=s3cr3t&token=t0k3n"
		_, _, err := newResolver(t, Options{}).Resolve(context.Background(), manifest("x", src, data))
		if err == nil {
			t.Fatal("Resolve succeeded, want 403")
		}
		t.Log(err)
		for _, secret := range []string{"hunter2", "s3cr3t", "t0k3n"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains %q", err, secret)
			}
		}
	})

	t.Run("connection refused is retried", func(t *testing.T) {
		ts := httptest.NewServer(http.NotFoundHandler())
		url := ts.URL
		ts.Close()
		_, _, err := newResolver(t, Options{Attempts: 2}).Resolve(context.Background(), manifest("x", url+"/x.deb", data))
		if err == nil || !strings.Contains(err.Error(), "2 attempts") {
			t.Errorf("error = %v, want a failure after 2 attempts", err)
		}
	})
}

// endless is a response body that never ends, counting what is read.
type endless struct{ n *atomic.Int64 }

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n.Add(int64(len(p)))
	return len(p), nil
}

func (e endless) Close() error { return nil }

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func TestHTTPReadsAtMostSizePlusOne(t *testing.T) {
	var read atomic.Int64
	client := &http.Client{Transport: roundTripper(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: endless{&read}, ContentLength: -1, Request: req}, nil
	})}
	data := bytes.Repeat([]byte("x"), 1000)
	_, _, err := newResolver(t, Options{HTTP: client}).Resolve(context.Background(), manifest("x", "https://example.com/x.deb", data))
	checkMismatch(t, err, "size", "packages/apt/x.yaml:3", "1000", "more than 1000")
	if n := read.Load(); n != 1001 {
		t.Errorf("read %d bytes of the body, want 1001", n)
	}

	t.Run("announced length", func(t *testing.T) {
		var read atomic.Int64
		client := &http.Client{Transport: roundTripper(func(req *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: endless{&read}, ContentLength: 5000, Request: req}, nil
		})}
		_, _, err := newResolver(t, Options{HTTP: client}).Resolve(context.Background(), manifest("x", "https://example.com/x.deb", data))
		checkMismatch(t, err, "size", "packages/apt/x.yaml:3", "1000", "5000")
		if n := read.Load(); n != 0 {
			t.Errorf("read %d bytes of the body, want none", n)
		}
	})
}

func TestHTTPStall(t *testing.T) {
	var requests atomic.Int64
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		requests.Add(1)
		w.Write([]byte("part"))
		w.(http.Flusher).Flush()
		select {
		case <-req.Context().Done():
		case <-release:
		}
	}))
	defer ts.Close()
	defer close(release)
	r := newResolver(t, Options{Attempts: 2, StallTimeout: 200 * time.Millisecond})
	_, _, err := r.Resolve(context.Background(), manifest("x", ts.URL+"/x.deb", []byte("partial content")))
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "nothing received for 200ms") {
		t.Errorf("error = %v, want a stall", err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("server got %d requests, want 2", n)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	s := &server{fails: 100, failWith: http.StatusServiceUnavailable}
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r := newResolver(t, Options{Backoff: time.Hour})
	go func() {
		for s.requests.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	_, _, err := r.Resolve(ctx, manifest("x", ts.URL+"/x.deb", []byte("x")))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Resolve returned after %v, want promptly", d)
	}
}

func TestS3(t *testing.T) {
	backend := s3mem.New()
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	defer ts.Close()
	data := []byte("bytes kept in a bucket")
	if err := backend.CreateBucket("artifacts"); err != nil {
		t.Fatal(err)
	}
	if _, err := backend.PutObject("artifacts", "pool/x+1.deb", nil, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
	// Static credentials, and no shared files or instance metadata.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secretkeytest")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	os.Unsetenv("AWS_ENDPOINT_URL")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	os.Unsetenv("AWS_ENDPOINT_URL_S3")

	m := manifest("x", "s3://artifacts/pool/x+1.deb", data)
	t.Run("endpoint option", func(t *testing.T) {
		cache := t.TempDir()
		r := newResolver(t, Options{CacheDir: cache, S3Endpoint: ts.URL})
		local := resolveOK(t, r, m, data)
		if !strings.HasPrefix(local, cache) {
			t.Errorf("Resolve = %s, want a file in the cache %s", local, cache)
		}
		// Cached: found even with the object gone.
		if _, err := backend.DeleteObject("artifacts", "pool/x+1.deb"); err != nil {
			t.Fatal(err)
		}
		resolveOK(t, newResolver(t, Options{CacheDir: cache, S3Endpoint: ts.URL}), m, data)
		if _, err := backend.PutObject("artifacts", "pool/x+1.deb", nil, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("endpoint from environment", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_S3", ts.URL)
		resolveOK(t, newResolver(t, Options{}), m, data)
	})
	t.Run("missing key", func(t *testing.T) {
		_, _, err := newResolver(t, Options{S3Endpoint: ts.URL}).Resolve(context.Background(), manifest("y", "s3://artifacts/pool/y.deb", data))
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "packages/apt/y.yaml:4: source s3://artifacts/pool/y.deb") {
			t.Errorf("error = %v, want one naming manifest and source", err)
		}
		if err != nil && strings.Contains(err.Error(), "secretkeytest") {
			t.Errorf("error %q contains the secret key", err)
		}
	})
	t.Run("wrong bytes", func(t *testing.T) {
		want := []byte("what the manifest promised")
		_, _, err := newResolver(t, Options{S3Endpoint: ts.URL}).Resolve(context.Background(), manifest("x", "s3://artifacts/pool/x+1.deb", want))
		var me *MismatchError
		if !errors.As(err, &me) {
			t.Errorf("error = %v, want a *MismatchError", err)
		}
	})
}

func TestStatCache(t *testing.T) {
	root := t.TempDir()
	cache := t.TempDir()
	data := []byte("content that will be cached by stat")
	p := filepath.Join(root, "blobs", "x.deb")
	writeFile(t, p, data)
	age(t, p)
	m := manifest("x", "blobs/x.deb", data)
	clock := func() time.Time { return time.Now() }

	r := New(Options{CacheDir: cache, RootDir: root, Clock: clock})
	resolveOK(t, r, m, data)
	resolveOK(t, r, m, data)
	if n := r.hashed.Load(); n != 1 {
		t.Errorf("hashed %d times in one run, want 1", n)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	// The next run loads the cache from disk.
	r = New(Options{CacheDir: cache, RootDir: root, Clock: clock})
	resolveOK(t, r, m, data)
	if n := r.hashed.Load(); n != 0 {
		t.Errorf("hashed %d times in the next run, want 0", n)
	}
	r.Close()

	// Same size, same modification time, different bytes: the change
	// time still tells.
	other := bytes.ToUpper(data)
	writeFile(t, p, other)
	age(t, p)
	r = New(Options{CacheDir: cache, RootDir: root, Clock: clock})
	_, _, err := r.Resolve(context.Background(), m)
	checkMismatch(t, err, "sha256", "packages/apt/x.yaml:2", sha(data), sha(other))
	if n := r.hashed.Load(); n != 1 {
		t.Errorf("hashed %d times after a change, want 1", n)
	}
	r.Close()

	// A file modified just now is hashed again until it is old enough.
	writeFile(t, p, data)
	r = New(Options{CacheDir: cache, RootDir: root, Clock: clock})
	resolveOK(t, r, m, data)
	resolveOK(t, r, m, data)
	if n := r.hashed.Load(); n != 2 {
		t.Errorf("hashed %d times while the file is new, want 2", n)
	}
	r.Close()

	// Entries of deleted files are dropped when the cache is saved.
	q := filepath.Join(root, "blobs", "y.deb")
	writeFile(t, q, data)
	age(t, q)
	r = New(Options{CacheDir: cache, RootDir: root, Clock: clock})
	resolveOK(t, r, manifest("y", "blobs/y.deb", data), data)
	os.Remove(p)
	r.Close()
	c := loadStatCache(cache)
	if _, ok := c.entries[p]; ok {
		t.Errorf("stat cache still has %s after it was deleted", p)
	}
	if _, ok := c.entries[q]; !ok {
		t.Errorf("stat cache lacks %s", q)
	}
}

func TestDamagedCache(t *testing.T) {
	data := []byte("bytes whose digests get lost")
	s := &server{data: data}
	ts := httptest.NewServer(s)
	defer ts.Close()
	cache := t.TempDir()
	m := manifest("x", ts.URL+"/x.deb", data)
	local := resolveOK(t, newResolver(t, Options{CacheDir: cache}), m, data)

	// Digests lost: the bytes are hashed again, not downloaded.
	os.Remove(local + ".json")
	resolveOK(t, newResolver(t, Options{CacheDir: cache}), m, data)
	if n := s.requests.Load(); n != 1 {
		t.Errorf("server got %d requests, want 1", n)
	}
	if _, err := readDigests(local + ".json"); err != nil {
		t.Errorf("digests not rewritten: %v", err)
	}

	// Bytes damaged (size changed): fetched again.
	os.WriteFile(local, []byte("garbage"), 0o644)
	resolveOK(t, newResolver(t, Options{CacheDir: cache}), m, data)
	if n := s.requests.Load(); n != 2 {
		t.Errorf("server got %d requests, want 2", n)
	}

	// An unreadable stat cache is rebuilt.
	os.WriteFile(filepath.Join(cache, statFile), []byte("not a stat cache"), 0o644)
	resolveOK(t, newResolver(t, Options{CacheDir: cache}), m, data)
}

func TestConcurrent(t *testing.T) {
	const n = 40
	root := t.TempDir()
	var files [][]byte
	gitFiles := map[string][]byte{}
	for i := range n {
		data := []byte(fmt.Sprintf("artifact number %d", i))
		files = append(files, data)
		writeFile(t, filepath.Join(root, "blobs", fmt.Sprintf("%d.deb", i)), data)
		gitFiles[fmt.Sprintf("blobs/%d.deb", i)] = data
	}
	snap := gitRepository(t, gitFiles)
	var requests atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		requests.Add(1)
		var i int
		fmt.Sscanf(req.URL.Path, "/%d.deb", &i)
		w.Write(files[i])
	}))
	defer ts.Close()

	cache := t.TempDir()
	tree := newResolver(t, Options{CacheDir: cache, RootDir: root})
	objects := newResolver(t, Options{CacheDir: cache, Root: snap.FS})
	web := newResolver(t, Options{CacheDir: t.TempDir()})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				i := (i + w*5) % n
				name := fmt.Sprintf("%d.deb", i)
				for _, c := range []struct {
					r   *Resolver
					src string
				}{{tree, "blobs/" + name}, {objects, "blobs/" + name}, {web, ts.URL + "/" + name}} {
					_, d, err := c.r.Resolve(context.Background(), manifest(fmt.Sprint(i), c.src, files[i]))
					if err != nil {
						t.Error(err)
						return
					}
					if d.SHA256 != sha(files[i]) {
						t.Errorf("%s: sha256 %s, want %s", c.src, d.SHA256, sha(files[i]))
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := requests.Load(); got != n {
		t.Errorf("server got %d requests, want one per artifact (%d)", got, n)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"blobs/apt/x.deb", "blobs/apt/x.deb"},
		{"https://example.com/x.deb", "https://example.com/x.deb"},
		{"https://user:pw@example.com/x.deb", "https://user:xxxxx@example.com/x.deb"},
		{"https://example.com/x.deb?X-Amz-Signature=abc&X-Amz-Date=1", "https://example.com/x.deb?X-Amz-Date=xxxxx&X-Amz-Signature=xxxxx"},
		{"s3://bucket/key", "s3://bucket/key"},
		{"https://u:p@exa mple.com/%zz?x=y", "https://exa mple.com/..."},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 10 ", 10 * time.Second},
		{"-1", 0},
		{"Wed, 21 Oct 2015 07:28:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	r := newResolver(t, Options{})
	for _, src := range []string{"ftp://example.com/x", "blobs/x.deb"} {
		if _, _, err := r.Resolve(context.Background(), manifest("x", src, []byte("x"))); err == nil {
			t.Errorf("Resolve(%q) succeeded, want an error", src)
		}
	}
	m := manifest("x", "https://example.com/x.deb", []byte("x"))
	m.SHA256 = "../../etc/passwd"
	if _, _, err := r.Resolve(context.Background(), m); err == nil {
		t.Error("Resolve with a malformed sha256 succeeded, want an error")
	}
	if _, _, err := New(Options{}).Resolve(context.Background(), manifest("x", "https://example.com/x.deb", []byte("x"))); !errors.Is(err, errNoCache) {
		t.Errorf("Resolve without a cache folder: %v, want %v", err, errNoCache)
	}
}

// BenchmarkStatCacheLoad loads a stat cache of 100,000 files, as a warm
// build of a large registry does once.
func BenchmarkStatCacheLoad(b *testing.B) {
	dir := b.TempDir()
	c := loadStatCache(dir)
	for i := range 100000 {
		p := fmt.Sprintf("/home/user/registry/blobs/apt/pool/main/p/pkg%d/pkg%d_1.0.%d_amd64.deb", i, i, i)
		c.entries[p] = statEntry{Key: statKey{Size: int64(i), MTime: int64(i) * 1e9, Ino: uint64(i)}}
		c.used[p] = true // kept though it does not exist
	}
	c.dirty = true
	if err := c.save(); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(dir, statFile))
	b.ReportMetric(float64(fi.Size()), "file-bytes")
	for b.Loop() {
		if c := loadStatCache(dir); len(c.entries) != 100000 {
			b.Fatalf("loaded %d entries", len(c.entries))
		}
	}
}

// BenchmarkResolveUnchanged resolves a working-tree file the stat cache
// already knows: one stat, no read.
func BenchmarkResolveUnchanged(b *testing.B) {
	root := b.TempDir()
	data := bytes.Repeat([]byte("x"), 1<<20)
	p := filepath.Join(root, "x.deb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
	r := New(Options{CacheDir: b.TempDir(), RootDir: root, Clock: future})
	m := manifest("x", "x.deb", data)
	for b.Loop() {
		if _, _, err := r.Resolve(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
	if n := r.hashed.Load(); n != 1 {
		b.Errorf("hashed %d times, want 1", n)
	}
}
