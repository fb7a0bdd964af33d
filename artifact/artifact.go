// Package artifact fetches the bytes a manifest names, verifies their size and
// sha256, and keeps them in a content-addressed cache so that later builds
// neither download nor re-hash them.
//
// The cache folder holds:
//
//	sha256/<first 2 hex>/<hex>       verified artifact bytes
//	sha256/<first 2 hex>/<hex>.json  their digests (digest.Set)
//	stat.bin                         digests of local files by path and stat data
//	tmp/                             downloads in progress
package artifact

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
)

// Options configure a Resolver.
type Options struct {
	// CacheDir holds the content-addressed cache and the stat cache.
	CacheDir string
	// Root is the registry repository, for sources that are paths in it.
	Root fs.FS
	// RootDir is Root's working-tree folder, "" when Root reads Git objects.
	// Files of a working tree are used in place rather than copied.
	RootDir string

	// HTTP fetches http:// and https:// sources; nil means a default client.
	HTTP *http.Client
	// S3Endpoint selects an S3-compatible store (with path-style addressing)
	// for s3:// sources. When empty, the SDK's AWS_ENDPOINT_URL_S3 and
	// AWS_ENDPOINT_URL apply.
	S3Endpoint string

	// Attempts bounds the tries of one remote fetch; 0 means 5.
	Attempts int
	// Backoff is the wait before the first retry, doubled after each; 0
	// means one second.
	Backoff time.Duration
	// StallTimeout ends a request that receives nothing for that long; 0
	// means one minute.
	StallTimeout time.Duration
	// Clock tells the time, to recognize files modified too recently for
	// their stat data to prove them unchanged later; nil means time.Now.
	Clock func() time.Time
}

// Resolver fetches and verifies artifacts. It is safe for concurrent use.
type Resolver struct {
	opts Options

	statOnce sync.Once
	statMu   sync.Mutex
	stats    *statCache

	flightMu sync.Mutex
	flights  map[string]chan struct{} // by sha256: a fetch in progress

	s3Mu sync.Mutex
	s3   *s3.Client

	hashed atomic.Int64 // files hashed in place, for tests
}

// New returns a Resolver.
func New(opts Options) *Resolver {
	if opts.Attempts <= 0 {
		opts.Attempts = 5
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{}
	}
	return &Resolver{opts: opts, flights: map[string]chan struct{}{}}
}

// MismatchError reports bytes that differ from what their manifest says.
type MismatchError struct {
	Pos    string // manifest file and line of the field that disagrees
	Source string // where the bytes came from, without credentials
	Field  string // "size" or "sha256"
	Want   string // the manifest's value
	Got    string // the source's value
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: %s: manifest says %s %s, source has %s", e.Pos, e.Source, e.Field, e.Want, e.Got)
}

// Resolve returns a local file holding exactly the bytes m names, and their
// digests. The file is the working-tree or file:// file itself, or an entry
// of the cache; callers must not modify it.
func (r *Resolver) Resolve(ctx context.Context, m *config.Manifest) (local string, d digest.Set, err error) {
	if err := ctx.Err(); err != nil {
		return "", digest.Set{}, err
	}
	src := redact(m.Source)
	scheme, _, isURL := strings.Cut(m.Source, "://")
	switch {
	case !isURL && r.opts.RootDir != "":
		return r.local(ctx, m, filepath.Join(r.opts.RootDir, filepath.FromSlash(m.Source)), src)
	case !isURL:
		if r.opts.Root == nil {
			return "", digest.Set{}, fmt.Errorf("%s: source %s: no registry repository to read it from", m.Pos("source"), src)
		}
		return r.remote(ctx, m, src, r.fromRoot)
	case scheme == "file":
		u, err := url.Parse(m.Source)
		if err != nil {
			return "", digest.Set{}, fmt.Errorf("%s: source %s: %w", m.Pos("source"), src, err)
		}
		return r.local(ctx, m, filepath.FromSlash(u.Path), src)
	case scheme == "http" || scheme == "https":
		return r.remote(ctx, m, src, r.fetchHTTP)
	case scheme == "s3":
		return r.remote(ctx, m, src, r.fetchS3)
	}
	return "", digest.Set{}, fmt.Errorf("%s: source %s: unsupported scheme %q", m.Pos("source"), src, scheme)
}

// Close saves the stat cache.
func (r *Resolver) Close() error {
	r.statMu.Lock()
	defer r.statMu.Unlock()
	if r.stats == nil {
		return nil
	}
	return r.stats.save()
}

// verify compares what a source delivered with the manifest.
func verify(m *config.Manifest, src string, d digest.Set) error {
	if d.Size != m.Size {
		return &MismatchError{Pos: m.Pos("size"), Source: src, Field: "size", Want: strconv.FormatInt(m.Size, 10), Got: strconv.FormatInt(d.Size, 10)}
	}
	if d.SHA256 != m.SHA256 {
		return &MismatchError{Pos: m.Pos("sha256"), Source: src, Field: "sha256", Want: m.SHA256, Got: d.SHA256}
	}
	return nil
}

// redact removes credentials from a source URL for messages: the password of
// its user info and the values of its query (presigned URLs carry
// signatures there).
func redact(src string) string {
	if !strings.Contains(src, "://") {
		return src
	}
	u, err := url.Parse(src)
	if err != nil {
		// Keep what cannot hold credentials.
		scheme, rest, _ := strings.Cut(src, "://")
		host, _, _ := strings.Cut(rest, "/")
		if _, after, ok := strings.Cut(host, "@"); ok {
			host = after
		}
		return scheme + "://" + host + "/..."
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"xxxxx"}
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment = ""
	return u.String()
}

var errNoCache = errors.New("no cache folder configured")
