package publish_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/publish"
)

// flaky fails the first `fail` calls of Put and Get with err.
type flaky struct {
	publish.Store
	fail  int
	err   error
	calls int
}

func (f *flaky) Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts publish.PutOptions) error {
	if f.calls++; f.calls <= f.fail {
		return f.err
	}
	return f.Store.Put(ctx, key, body, size, opts)
}

func (f *flaky) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if f.calls++; f.calls <= f.fail {
		return nil, f.err
	}
	return f.Store.Get(ctx, key)
}

func TestRetry(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		fail      int
		err       error
		wantCalls int
		wantErr   error
	}{
		{"recovers", 2, errors.New("503 slow down"), 3, nil},
		{"gives up", 5, errors.New("503 slow down"), 3, nil},
		{"not found is final", 1, publish.ErrNotExist, 1, publish.ErrNotExist},
		{"lost condition is final", 1, publish.ErrPrecondition, 1, publish.ErrPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &flaky{Store: publish.NewLocal(t.TempDir()), fail: tt.fail, err: tt.err}
			s := publish.NewRetry(f, 3, time.Millisecond)
			err := s.Put(ctx, "k", bytesReader([]byte("v")), 1, publish.PutOptions{})
			if f.calls != tt.wantCalls {
				t.Errorf("Put made %d calls, want %d", f.calls, tt.wantCalls)
			}
			switch {
			case tt.fail < 3 && tt.wantErr == nil && err != nil:
				t.Errorf("Put = %v, want success", err)
			case tt.fail >= 3 && tt.wantErr == nil && !errors.Is(err, tt.err):
				t.Errorf("Put = %v, want the last error", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("Put = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// A cancelled context ends the backoff at once.
func TestRetryHonorsContext(t *testing.T) {
	f := &flaky{Store: publish.NewLocal(t.TempDir()), fail: 10, err: errors.New("500")}
	s := publish.NewRetry(f, 10, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	_, err := s.Get(ctx, "k")
	if !errors.Is(err, context.Canceled) || f.calls != 1 {
		t.Errorf("Get = %v after %d calls, want context.Canceled after 1", err, f.calls)
	}
}

func TestDryRun(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	real := publish.NewLocal(dir)
	real.Put(ctx, "old", bytesReader([]byte("x")), 1, publish.PutOptions{})
	d := publish.NewDryRun(real)
	d.Put(ctx, "new", bytesReader([]byte("abc")), 3, publish.PutOptions{})
	d.Delete(ctx, "old")
	want := []publish.Write{{Op: "put", Key: "new", Size: 3}, {Op: "delete", Key: "old"}}
	if diff := cmp.Diff(want, d.Writes()); diff != "" {
		t.Errorf("Writes (-want +got):\n%s", diff)
	}
	objs, err := d.List(ctx, "")
	if err != nil || len(objs) != 1 || objs[0].Key != "old" {
		t.Errorf("List through the dry run = %v, %v; want the untouched store", objs, err)
	}
}
