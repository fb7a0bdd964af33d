package publish_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/internal/miniotest"
	"github.com/stockpile/stockpile/publish"
	"github.com/stockpile/stockpile/publish/storetest"
)

// The S3 store against a real S3 server: the shared suite, then a publish,
// an incremental one and a refused immutable overwrite.
func TestMinIO(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a MinIO server")
	}
	mc := miniotest.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", mc.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", mc.SecretKey)
	t.Setenv("AWS_REGION", miniotest.Region)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_PROFILE", "")
	var n atomic.Int32
	newStore := func(t *testing.T) publish.Store {
		// A fresh prefix per test keeps them apart in one bucket.
		s, err := publish.Open(context.Background(), fmt.Sprintf("s3://%s/t%d", mc.Bucket, n.Add(1)), publish.OpenOptions{Endpoint: mc.Endpoint, PartSize: 5 << 20})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Run("storetest", func(t *testing.T) { storetest.Run(t, newStore) })

	t.Run("publish", func(t *testing.T) {
		v1, v2 := makeTree(1, "a", "b"), makeTree(2, "a", "c")
		rec := &recorder{Store: newStore(t)}
		mustPublish(t, rec, writeTree(t, v1), publish.Options{})
		checkPhaseOrder(t, rec.treePuts())
		rec.puts = nil
		mustPublish(t, rec, writeTree(t, v2), publish.Options{Now: t0.Add(time.Hour)})
		got := rec.treePuts()
		checkPhaseOrder(t, got)
		sort.Strings(got)
		if diff := cmp.Diff(changedKeys(v1, v2), got); diff != "" {
			t.Errorf("second publish uploaded (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(union(v2, v1), storetest.Files(t, rec)); diff != "" {
			t.Errorf("store (-want +got):\n%s", diff)
		}
		v3 := makeTree(3, "a", "c")
		v3["apt/pool/main/a_1.0+b1_all.deb"] = "other bytes"
		_, err := publish.Publish(context.Background(), rec, writeTree(t, v3), publish.Options{Now: t0.Add(2 * time.Hour)})
		if err == nil || !strings.Contains(err.Error(), "immutable file would change") {
			t.Errorf("overwrite of an immutable file: %v", err)
		}
	})
}
