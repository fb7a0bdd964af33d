package publish_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stockpile/stockpile/publish"
	"github.com/stockpile/stockpile/publish/storetest"
)

func TestLocalStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) publish.Store {
		s, err := publish.Open(context.Background(), "file://"+filepath.Join(t.TempDir(), "store"), publish.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestS3Store(t *testing.T) {
	endpoint, backend, _ := storetest.FakeS3(t)
	var n atomic.Int32
	for _, prefix := range []string{"", "/registry/prod"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) publish.Store {
				bucket := fmt.Sprintf("bucket-%d", n.Add(1))
				if err := backend.CreateBucket(bucket); err != nil {
					t.Fatal(err)
				}
				// A small part size makes the suite's large object a
				// multipart upload.
				s, err := publish.Open(context.Background(), "s3://"+bucket+prefix, publish.OpenOptions{Endpoint: endpoint, PartSize: 5 << 20})
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

// Uploads carry the Content-Type and Cache-Control asked for, the sha256 as
// metadata and no Content-Encoding; a '+' in a key is sent encoded, so S3
// stores a '+' and not a space.
func TestS3Headers(t *testing.T) {
	endpoint, backend, puts := storetest.FakeS3(t)
	backend.CreateBucket("b")
	ctx := context.Background()
	s, err := publish.Open(ctx, "s3://b/pre", publish.OpenOptions{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("gzip bytes")
	opts := publish.PutOptions{ContentType: "application/gzip", CacheControl: "public, max-age=31536000, immutable", SHA256: sha256Hex(data)}
	if err := s.Put(ctx, "x/Packages+1.gz", bytesReader(data), int64(len(data)), opts); err != nil {
		t.Fatal(err)
	}
	reqs := puts()
	if len(reqs) != 1 {
		t.Fatalf("%d PUT requests, want 1", len(reqs))
	}
	r := reqs[0]
	for h, want := range map[string]string{
		"Content-Type":      opts.ContentType,
		"Cache-Control":     opts.CacheControl,
		"Content-Encoding":  "",
		"X-Amz-Meta-Sha256": opts.SHA256,
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("PUT %s = %q, want %q", h, got, want)
		}
	}
	if got, want := r.URL.EscapedPath(), "/b/pre/x/Packages%2B1.gz"; got != want {
		t.Errorf("PUT path = %q, want %q", got, want)
	}
	objs, err := s.List(ctx, "")
	if err != nil || len(objs) != 1 || objs[0].Key != "x/Packages+1.gz" {
		t.Errorf("List = %v, %v; want the key with its '+'", objs, err)
	}
}
