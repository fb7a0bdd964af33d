// Package publish ships a built tree to an object store (a local folder or
// S3) so that clients never see an inconsistent registry: files are uploaded
// in phases (blobs, index leaves, roots of trust, TUF roles, the TUF
// timestamp), only when their bytes changed, under a lock, with a rollback
// guard, and files that left the tree are deleted only after a grace period.
package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
)

// Store is where a tree is published. Keys are slash-separated paths
// relative to the store's root.
type Store interface {
	// List returns every object whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Stat describes one object, with the sha256 recorded when it was put
	// (or computed, for stores that can). It wraps ErrNotExist when missing.
	Stat(ctx context.Context, key string) (Object, error)
	// Get opens an object for reading. It wraps ErrNotExist when missing.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Put writes size bytes of body under key, replacing any object there
	// unless opts.IfNoneMatch asks otherwise. Readers see the old object or
	// the new one, never a part.
	Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts PutOptions) error
	// Delete removes an object; a missing one is not an error.
	Delete(ctx context.Context, key string) error
}

// Object describes a stored object.
type Object struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"` // hex; "" when unknown (List rarely knows it)
}

// PutOptions are how an object is stored and served.
type PutOptions struct {
	ContentType  string
	CacheControl string
	SHA256       string // hex digest of the body, kept with the object
	// IfNoneMatch writes only when the key does not exist yet, and fails
	// with ErrPrecondition otherwise.
	IfNoneMatch bool
}

var (
	// ErrNotExist is wrapped by Get and Stat for a missing key.
	ErrNotExist = errors.New("object does not exist")
	// ErrPrecondition is wrapped by Put when a conditional write lost.
	ErrPrecondition = errors.New("precondition failed")
)

// OpenOptions configure the store Open returns.
type OpenOptions struct {
	// Endpoint is the URL of an S3-compatible service; it selects
	// path-style addressing. Empty means AWS_ENDPOINT_URL_S3 or
	// AWS_ENDPOINT_URL when set, else AWS itself.
	Endpoint string
	Region   string // empty: the SDK's usual sources, else us-east-1
	// PartSize is the size above which S3 objects are uploaded in parts of
	// this size (default 64 MiB, at least 5 MiB).
	PartSize int64
	Getenv   func(string) string // default os.Getenv
}

// Open returns the store that url names: s3://bucket/prefix, file:///path,
// or a plain local path.
func Open(ctx context.Context, rawURL string, opts OpenOptions) (Store, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if !strings.Contains(rawURL, "://") {
		if rawURL == "" {
			return nil, errors.New("no store named")
		}
		return NewLocal(rawURL), nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("store URL %q: a file URL names a local path (file:///path)", rawURL)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("store URL %q: no path", rawURL)
		}
		return NewLocal(u.Path), nil
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("store URL %q: no bucket (s3://bucket/prefix)", rawURL)
		}
		s, err := OpenS3(ctx, u.Host, strings.Trim(u.Path, "/"), opts)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("store URL %q: unknown scheme %q (use s3:// or file://)", rawURL, u.Scheme)
}

// validKey reports whether key can name an object: a clean relative path
// that no temporary file of the local store can clash with.
func validKey(key string) bool {
	if key == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.ContainsAny(key, "\\\x00") {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".tmp-") {
			return false
		}
	}
	return true
}

// Reader returns a function that reads whole objects of s, for code that
// only reads a published tree (the TUF metadata a build continues from).
// A missing object's error also matches fs.ErrNotExist.
func Reader(ctx context.Context, s Store) func(key string) ([]byte, error) {
	return func(key string) ([]byte, error) {
		rc, err := s.Get(ctx, key)
		if errors.Is(err, ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", err, fs.ErrNotExist)
		}
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
}
