// Package tufclient downloads files from a published registry and verifies
// them against a trusted TUF root before anyone sees their bytes.
package tufclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"
)

// Options configure Get.
type Options struct {
	URL    string // base URL of the published tree
	Root   []byte // trusted root metadata
	Target string // path of the file in the tree
	Out    string // where to write the verified file
	// MetadataDir keeps the trusted metadata between runs, so that a
	// replayed older timestamp or snapshot is refused; "" keeps nothing.
	MetadataDir string
	HTTPClient  *http.Client
}

// VerifyError is a file or metadata that failed TUF verification.
type VerifyError struct {
	Target string
	Err    error
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("%s: verification failed: %v", e.Target, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Result describes a verified download.
type Result struct {
	Target string `json:"target"`
	Length int64  `json:"length"`
	SHA256 string `json:"sha256"`
	Out    string `json:"out"`
}

// Get refreshes the trusted metadata from opts.URL, looks the target up in
// the delegations, downloads it and writes it to opts.Out only once its
// length and sha256 match.
//
// Targets marked immutable in their custom metadata are fetched at their
// own path; every other target is fetched at its hash-prefixed copy
// "<dir>/<sha256>.<name>", which never changes under consistent snapshots.
func Get(ctx context.Context, opts Options) (*Result, error) {
	base := strings.TrimSuffix(opts.URL, "/") + "/"
	cfg, err := config.New(base+"tuf/", opts.Root)
	if err != nil {
		return nil, err
	}
	cfg.RemoteTargetsURL = base
	if opts.MetadataDir == "" {
		cfg.DisableLocalCache = true
	} else {
		cfg.LocalMetadataDir = opts.MetadataDir
		cfg.LocalTargetsDir = filepath.Join(opts.MetadataDir, "targets")
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	f := fetcher.NewDefaultFetcher()
	f.SetHTTPClient(&contextClient{ctx: ctx, hc: hc})
	f.SetHTTPUserAgent("stockpile-get")
	cfg.Fetcher = rootNotFound{f}
	up, err := updater.New(cfg)
	if err != nil {
		return nil, classify(opts.Target, err)
	}
	if err := up.Refresh(); err != nil {
		return nil, classifyMetadata(opts.Target, err)
	}
	info, err := up.GetTargetInfo(opts.Target)
	if err != nil {
		return nil, classify(opts.Target, err)
	}
	cfg.PrefixTargetsWithHash = !Immutable(info)
	tmp, err := os.CreateTemp(filepath.Dir(opts.Out), ".tmp-get-")
	if err != nil {
		return nil, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	_, data, err := up.DownloadTarget(info, tmp.Name(), "")
	if err != nil {
		return nil, classify(opts.Target, err)
	}
	if cfg.DisableLocalCache {
		// go-tuf hands the bytes back instead of writing them.
		if err := os.WriteFile(tmp.Name(), data, 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.Rename(tmp.Name(), opts.Out); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return &Result{Target: opts.Target, Length: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Out: opts.Out}, nil
}

// Immutable reports whether a target's custom metadata says its bytes
// never change at its own path.
func Immutable(tf *metadata.TargetFiles) bool {
	if tf.Custom == nil {
		return false
	}
	var c struct {
		Immutable bool `json:"immutable"`
	}
	return json.Unmarshal(*tf.Custom, &c) == nil && c.Immutable
}

// classify wraps failures of verification (signatures, versions, expiry,
// hashes, lengths) in a VerifyError; other errors (network, a target the
// metadata does not list) pass through.
func classify(target string, err error) error {
	// go-tuf's error types say which of their family they belong to.
	if errors.Is(err, &metadata.ErrRepository{}) || errors.Is(err, &metadata.ErrDownloadLengthMismatch{}) {
		return &VerifyError{Target: target, Err: err}
	}
	return fmt.Errorf("%s: %w", target, err)
}

// classifyMetadata treats every failure to refresh the metadata as a
// verification failure except those of the network: a file that does not
// parse, has the wrong type or bad values is as untrustworthy as one with a
// bad signature.
func classifyMetadata(target string, err error) error {
	var status *metadata.ErrDownloadHTTP
	var netErr net.Error
	if errors.As(err, &status) || errors.As(err, &netErr) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", target, err)
	}
	return &VerifyError{Target: target, Err: err}
}

// rootNotFound reads 403 for the next root as 404: S3 answers 403 for a
// missing key when the reader may not list the bucket, and a missing next
// root is how a client learns it has the newest.
type rootNotFound struct{ fetcher.Fetcher }

func (r rootNotFound) DownloadFile(url string, maxLength int64, timeout time.Duration) ([]byte, error) {
	data, err := r.Fetcher.DownloadFile(url, maxLength, timeout)
	var status *metadata.ErrDownloadHTTP
	if errors.As(err, &status) && status.StatusCode == http.StatusForbidden && strings.HasSuffix(url, ".root.json") {
		return nil, &metadata.ErrDownloadHTTP{StatusCode: http.StatusNotFound, URL: status.URL}
	}
	return data, err
}

// contextClient lets a request be cancelled although go-tuf's fetcher takes
// no context.
type contextClient struct {
	ctx context.Context
	hc  *http.Client
}

func (c *contextClient) Do(req *http.Request) (*http.Response, error) {
	return c.hc.Do(req.WithContext(c.ctx))
}
