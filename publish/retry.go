package publish

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"time"
)

// retryStore retries failed calls with exponential backoff: object stores
// answer the odd 500/503 under load, and a publish of thousands of objects
// meets them.
type retryStore struct {
	Store
	attempts int
	base     time.Duration
}

var _ Store = (*retryStore)(nil)

// NewRetry wraps s so that each call is tried up to attempts times, waiting
// about base, 2·base, 4·base... between tries (base 0: 200ms). Missing
// objects, lost conditional writes and a done context are not retried.
func NewRetry(s Store, attempts int, base time.Duration) Store {
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	return &retryStore{Store: s, attempts: max(attempts, 1), base: base}
}

func (r *retryStore) do(ctx context.Context, f func() error) error {
	var err error
	for i := 0; i < r.attempts; i++ {
		if i > 0 {
			// Jitter spreads the retries of parallel workers.
			wait := r.base<<(i-1) + rand.N(r.base)
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(wait):
			}
		}
		if err = f(); err == nil || !retryable(ctx, err) {
			return err
		}
	}
	return err
}

func retryable(ctx context.Context, err error) bool {
	return ctx.Err() == nil && !errors.Is(err, ErrNotExist) && !errors.Is(err, ErrPrecondition) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func (r *retryStore) List(ctx context.Context, prefix string) (objs []Object, err error) {
	err = r.do(ctx, func() error { objs, err = r.Store.List(ctx, prefix); return err })
	return objs, err
}

func (r *retryStore) Stat(ctx context.Context, key string) (obj Object, err error) {
	err = r.do(ctx, func() error { obj, err = r.Store.Stat(ctx, key); return err })
	return obj, err
}

// Get retries opening the object; a read that fails later is the caller's.
func (r *retryStore) Get(ctx context.Context, key string) (rc io.ReadCloser, err error) {
	err = r.do(ctx, func() error { rc, err = r.Store.Get(ctx, key); return err })
	return rc, err
}

func (r *retryStore) Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts PutOptions) error {
	return r.do(ctx, func() error { return r.Store.Put(ctx, key, body, size, opts) })
}

func (r *retryStore) Delete(ctx context.Context, key string) error {
	return r.do(ctx, func() error { return r.Store.Delete(ctx, key) })
}
