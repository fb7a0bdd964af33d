package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/internal/atomicfile"
)

// opener starts reading the bytes of m's source. length is the size the
// source announces, -1 when unknown. Errors worth another try are
// *retryableError.
type opener func(ctx context.Context, m *config.Manifest) (body io.ReadCloser, length int64, err error)

// retryableError marks a failure that another attempt may not have: a
// network error, 429 or 5xx.
type retryableError struct {
	err   error
	after time.Duration // wait the server asked for, 0 if none
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

var errStalled = errors.New("stalled")

const maxBackoff = 30 * time.Second

// remote returns the cached bytes of m, fetching them with open on a miss.
func (r *Resolver) remote(ctx context.Context, m *config.Manifest, src string, open opener) (string, digest.Set, error) {
	if r.opts.CacheDir == "" {
		return "", digest.Set{}, fmt.Errorf("%s: source %s: %w", m.Pos("source"), src, errNoCache)
	}
	// One fetch per sha256 at a time: the others wait and then find it
	// cached (or try their own source if it failed).
	for {
		r.flightMu.Lock()
		wait, busy := r.flights[m.SHA256]
		if !busy {
			done := make(chan struct{})
			r.flights[m.SHA256] = done
			r.flightMu.Unlock()
			defer func() {
				r.flightMu.Lock()
				delete(r.flights, m.SHA256)
				r.flightMu.Unlock()
				close(done)
			}()
			break
		}
		r.flightMu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return "", digest.Set{}, ctx.Err()
		}
	}

	local, d, ok, err := r.cached(ctx, m, src)
	if err == nil && !ok {
		local, d, err = r.fetch(ctx, m, src, open)
	}
	if err != nil {
		var mismatch *MismatchError
		if errors.As(err, &mismatch) || errors.Is(err, ctx.Err()) {
			return "", digest.Set{}, err
		}
		return "", digest.Set{}, fmt.Errorf("%s: source %s: %w", m.Pos("source"), src, err)
	}
	return local, d, nil
}

// blobPath is where the cache keeps the bytes with the given sha256.
func (r *Resolver) blobPath(sha256 string) string {
	return filepath.Join(r.opts.CacheDir, "sha256", sha256[:2], sha256)
}

func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// cached looks m's bytes up in the cache.
func (r *Resolver) cached(ctx context.Context, m *config.Manifest, src string) (string, digest.Set, bool, error) {
	if !validSHA256(m.SHA256) {
		return "", digest.Set{}, false, fmt.Errorf("sha256 %q is not 64 lowercase hex digits", m.SHA256)
	}
	p := r.blobPath(m.SHA256)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", digest.Set{}, false, nil
	}
	if err != nil {
		return "", digest.Set{}, false, fmt.Errorf("artifact cache: %w", err)
	}
	d, ok := r.statLookup(p, fi)
	if !ok {
		d, err = readDigests(p + ".json")
		if err != nil || d.SHA256 != m.SHA256 || d.Size != fi.Size() {
			// The digests are lost or damaged; the bytes are local, so
			// hash them again rather than download them.
			if d, err = r.hashFile(ctx, p); err != nil {
				return "", digest.Set{}, false, fmt.Errorf("artifact cache: %w", err)
			}
			if d.SHA256 != m.SHA256 {
				os.Remove(p)
				return "", digest.Set{}, false, nil
			}
			if err := writeDigests(p+".json", d); err != nil {
				return "", digest.Set{}, false, fmt.Errorf("artifact cache: %w", err)
			}
		}
		// Cache entries are never modified, so their stat data is
		// trustworthy however recent.
		r.statStore(p, fi, d, time.Time{})
	}
	if err := verify(m, src, d); err != nil {
		return "", digest.Set{}, false, err
	}
	return p, d, true, nil
}

// fetch downloads m's bytes into the cache, verified.
func (r *Resolver) fetch(ctx context.Context, m *config.Manifest, src string, open opener) (string, digest.Set, error) {
	tmpDir := filepath.Join(r.opts.CacheDir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return "", digest.Set{}, err
	}
	tmp, err := os.CreateTemp(tmpDir, m.SHA256[:16]+"-*")
	if err != nil {
		return "", digest.Set{}, err
	}
	defer func() {
		// Gone already when it entered the cache.
		tmp.Close()
		os.Remove(tmp.Name())
	}()

	var d digest.Set
	for attempt := 1; ; attempt++ {
		d, err = r.attempt(ctx, m, src, open, tmp)
		if err == nil {
			break
		}
		var retry *retryableError
		if !errors.As(err, &retry) || ctx.Err() != nil {
			return "", digest.Set{}, err
		}
		if attempt >= r.opts.Attempts {
			return "", digest.Set{}, fmt.Errorf("giving up after %d attempts: %w", attempt, retry.err)
		}
		t := time.NewTimer(r.backoff(attempt, retry.after))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", digest.Set{}, ctx.Err()
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return "", digest.Set{}, err
		}
		if err := tmp.Truncate(0); err != nil {
			return "", digest.Set{}, err
		}
	}

	if err := tmp.Sync(); err != nil {
		return "", digest.Set{}, err
	}
	if err := tmp.Close(); err != nil {
		return "", digest.Set{}, err
	}
	final := r.blobPath(d.SHA256)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", digest.Set{}, err
	}
	// Digests first: a blob in the cache always has them beside it.
	if err := writeDigests(final+".json", d); err != nil {
		return "", digest.Set{}, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", digest.Set{}, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", digest.Set{}, err
	}
	return final, d, nil
}

// backoff is the wait before retry number attempt: exponential with jitter,
// or longer if the server asked for it.
func (r *Resolver) backoff(attempt int, after time.Duration) time.Duration {
	d := r.opts.Backoff << (attempt - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	// Up to a quarter less, so that parallel fetches do not retry in step.
	d -= time.Duration(rand.Int64N(int64(d)/4 + 1))
	if after > d {
		d = min(after, 2*maxBackoff)
	}
	return d
}

// attempt reads m's source once into tmp (which must be empty), hashing as
// it goes, and verifies the result.
func (r *Resolver) attempt(ctx context.Context, m *config.Manifest, src string, open opener, tmp *os.File) (digest.Set, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timeout := r.opts.StallTimeout
	stall := time.AfterFunc(timeout, func() { cancel(errStalled) })
	defer stall.Stop()
	failed := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if context.Cause(actx) == errStalled {
			return &retryableError{err: fmt.Errorf("nothing received for %s", timeout)}
		}
		return err
	}

	body, length, err := open(actx, m)
	if err != nil {
		return digest.Set{}, failed(err)
	}
	defer body.Close()
	if length > m.Size {
		return digest.Set{}, &MismatchError{Pos: m.Pos("size"), Source: src, Field: "size", Want: strconv.FormatInt(m.Size, 10), Got: strconv.FormatInt(length, 10)}
	}
	w := digest.NewWriter()
	in := io.LimitReader(&stallReader{r: body, timer: stall, timeout: timeout}, m.Size+1)
	n, err := io.Copy(io.MultiWriter(tmp, w), in)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == tmp.Name() {
			return digest.Set{}, fmt.Errorf("artifact cache: %w", err)
		}
		return digest.Set{}, failed(&retryableError{err: err})
	}
	if n > m.Size {
		got := "more than " + strconv.FormatInt(m.Size, 10)
		if length > 0 {
			got = strconv.FormatInt(length, 10)
		}
		return digest.Set{}, &MismatchError{Pos: m.Pos("size"), Source: src, Field: "size", Want: strconv.FormatInt(m.Size, 10), Got: got}
	}
	d := w.Set()
	return d, verify(m, src, d)
}

// stallReader postpones the stall timer whenever bytes arrive.
type stallReader struct {
	r       io.Reader
	timer   *time.Timer
	timeout time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.timeout)
	}
	return n, err
}

func readDigests(name string) (digest.Set, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return digest.Set{}, err
	}
	var d digest.Set
	err = json.Unmarshal(data, &d)
	return d, err
}

// writeDigests writes d to name atomically.
func writeDigests(name string, d digest.Set) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return atomicfile.Write(name, bytes.NewReader(append(data, '\n')), 0o644)
}
