package publish_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/publish"
	"github.com/stockpile/stockpile/publish/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// makeTree returns a small registry tree with files in every publish phase:
// the apt packages pkgs, their indexes and roots, yum repodata, a page and
// TUF metadata, all at the given version.
func makeTree(version int, pkgs ...string) map[string]string {
	t := map[string]string{}
	var packages strings.Builder
	for _, p := range pkgs {
		key := "apt/pool/main/" + p + "_1.0+b1_all.deb"
		t[key] = "deb bytes of " + p
		fmt.Fprintf(&packages, "Package: %s\nFilename: %s\n\n", p, strings.TrimPrefix(key, "apt/"))
	}
	pk := packages.String()
	t["apt/dists/stable/main/binary-amd64/Packages"] = pk
	t["apt/dists/stable/main/binary-amd64/by-hash/SHA256/"+sha256Hex([]byte(pk))] = pk
	date := t0.Add(-30 * 24 * time.Hour).Add(time.Duration(version) * time.Hour)
	release := fmt.Sprintf("Origin: test\nDate: %s\nSHA256:\n %s %d main/binary-amd64/Packages\n",
		date.Format("Mon, 02 Jan 2006 15:04:05 UTC"), sha256Hex([]byte(pk)), len(pk))
	t["apt/dists/stable/Release"] = release
	t["apt/dists/stable/InRelease"] = "-----BEGIN PGP SIGNED MESSAGE-----\n" + release
	primary := "primary of " + strings.Join(pkgs, ",")
	t["yum/repodata/"+sha256Hex([]byte(primary))+"-primary.xml.gz"] = primary
	t["yum/repodata/repomd.xml"] = fmt.Sprintf("<repomd><revision>%d</revision><data>%s</data></repomd>", 1000+version, sha256Hex([]byte(primary)))
	t["pypi/simple/index.html"] = "<html>" + strings.Join(pkgs, " ") + "</html>"
	t["index.html"] = fmt.Sprintf("<html>site version %d</html>", version)
	t["tuf/1.root.json"] = `{"signed":{"_type":"root","version":1}}`
	t[fmt.Sprintf("tuf/%d.targets.json", version)] = fmt.Sprintf(`{"signed":{"_type":"targets","version":%d,"targets":%q}}`, version, strings.Join(pkgs, ","))
	t[fmt.Sprintf("tuf/%d.snapshot.json", version)] = fmt.Sprintf(`{"signed":{"_type":"snapshot","version":%d}}`, version)
	t["tuf/timestamp.json"] = fmt.Sprintf(`{"signed":{"_type":"timestamp","version":%d}}`, version)
	return t
}

func withoutTUF(tree map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range tree {
		if !strings.HasPrefix(k, "tuf/") {
			out[k] = v
		}
	}
	return out
}

func writeTree(t *testing.T, tree map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range tree {
		p := filepath.Join(dir, filepath.FromSlash(k))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A build's leftover temporary file is never published.
	os.WriteFile(filepath.Join(dir, "apt", ".tmp-12345"), []byte("partial"), 0o644)
	return dir
}

// allObjects returns every object's bytes, publish's records included.
func allObjects(t *testing.T, s publish.Store) map[string]string {
	t.Helper()
	out := storetest.Files(t, s)
	objs, _ := s.List(context.Background(), ".stockpile/")
	for _, o := range objs {
		rc, err := s.Get(context.Background(), o.Key)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[o.Key] = string(b)
	}
	return out
}

// storeKinds returns a fresh empty store of each kind.
func storeKinds(t *testing.T) map[string]func(t *testing.T) publish.Store {
	endpoint, backend, _ := storetest.FakeS3(t)
	var n atomic.Int32
	return map[string]func(t *testing.T) publish.Store{
		"local": func(t *testing.T) publish.Store {
			return publish.NewLocal(filepath.Join(t.TempDir(), "www"))
		},
		"s3": func(t *testing.T) publish.Store {
			bucket := fmt.Sprintf("pub-%d", n.Add(1))
			backend.CreateBucket(bucket)
			s, err := publish.Open(context.Background(), "s3://"+bucket+"/registry", publish.OpenOptions{Endpoint: endpoint})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

func mustPublish(t *testing.T, s publish.Store, dir string, opts publish.Options) *publish.Report {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = t0
	}
	r, err := publish.Publish(context.Background(), s, dir, opts)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return r
}

// recorder notes the key of every Put, in order.
type recorder struct {
	publish.Store
	mu   sync.Mutex
	puts []string
}

func (r *recorder) Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts publish.PutOptions) error {
	err := r.Store.Put(ctx, key, body, size, opts)
	if err == nil {
		r.mu.Lock()
		r.puts = append(r.puts, key)
		r.mu.Unlock()
	}
	return err
}

// treePuts returns the registry keys put, in order.
func (r *recorder) treePuts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, k := range r.puts {
		if !strings.HasPrefix(k, ".stockpile/") {
			out = append(out, k)
		}
	}
	return out
}

func changedKeys(old, new map[string]string) []string {
	var out []string
	for k, v := range new {
		if o, ok := old[k]; !ok || o != v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func checkPhaseOrder(t *testing.T, puts []string) {
	t.Helper()
	for i := 1; i < len(puts); i++ {
		if dist.RuleFor(puts[i]).Phase < dist.RuleFor(puts[i-1]).Phase {
			t.Errorf("%s (phase %d) was put after %s (phase %d)", puts[i], dist.RuleFor(puts[i]).Phase, puts[i-1], dist.RuleFor(puts[i-1]).Phase)
		}
	}
}

// The first publish uploads every file, phase by phase; the next uploads
// exactly the files whose bytes changed, again in phase order, and keeps
// the files that left the tree.
func TestPublishPhasesAndIncrement(t *testing.T) {
	for name, newStore := range storeKinds(t) {
		t.Run(name, func(t *testing.T) {
			v1, v2 := makeTree(1, "a", "b"), makeTree(2, "a", "c")
			rec := &recorder{Store: newStore(t)}
			r := mustPublish(t, rec, writeTree(t, v1), publish.Options{Parallel: 4})
			if r.New != len(v1) || r.Changed != 0 || r.Unchanged != 0 {
				t.Errorf("first publish: new %d, changed %d, unchanged %d; want %d, 0, 0", r.New, r.Changed, r.Unchanged, len(v1))
			}
			checkPhaseOrder(t, rec.treePuts())
			if diff := cmp.Diff(v1, storetest.Files(t, rec)); diff != "" {
				t.Fatalf("store after the first publish (-want +got):\n%s", diff)
			}

			rec.puts = nil
			r = mustPublish(t, rec, writeTree(t, v2), publish.Options{Now: t0.Add(time.Hour)})
			want := changedKeys(v1, v2)
			got := rec.treePuts()
			checkPhaseOrder(t, got)
			sort.Strings(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("second publish uploaded (-want +got):\n%s", diff)
			}
			if r.New+r.Changed != len(want) || r.Unchanged != len(v2)-len(want) {
				t.Errorf("report new %d + changed %d, unchanged %d; want %d, %d", r.New, r.Changed, r.Unchanged, len(want), len(v2)-len(want))
			}
			gone := keptKeys(v1, v2)
			if diff := cmp.Diff(gone, r.KeptKeys); diff != "" {
				t.Errorf("kept keys (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(union(v2, v1), storetest.Files(t, rec)); diff != "" {
				t.Errorf("store after the second publish (-want +got):\n%s", diff)
			}

			rec.puts = nil
			r = mustPublish(t, rec, writeTree(t, v2), publish.Options{Now: t0.Add(2 * time.Hour)})
			if got := rec.treePuts(); len(got) != 0 || r.Unchanged != len(v2) {
				t.Errorf("publishing the same tree again uploaded %v (unchanged %d of %d)", got, r.Unchanged, len(v2))
			}
		})
	}
}

// keptKeys are the keys of old that new does not have.
func keptKeys(old, new map[string]string) []string {
	out := []string{}
	for k := range old {
		if _, ok := new[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// union is new plus the files of old that new does not have.
func union(new, old map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range old {
		out[k] = v
	}
	for k, v := range new {
		out[k] = v
	}
	return out
}

var errInjected = errors.New("injected fault")

// faulty lets the first `after` writes through, then fails every write, as
// a publisher that died or lost the network would. With cancel set it
// cancels the publish's context instead.
type faulty struct {
	publish.Store
	after  int64
	n      atomic.Int64
	cancel context.CancelFunc
}

func (f *faulty) Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts publish.PutOptions) error {
	if f.n.Add(1) > f.after {
		if f.cancel != nil {
			f.cancel()
			return f.Store.Put(ctx, key, body, size, opts)
		}
		return errInjected
	}
	return f.Store.Put(ctx, key, body, size, opts)
}

func (f *faulty) Delete(ctx context.Context, key string) error {
	if f.cancel == nil && f.n.Load() > f.after {
		return errInjected
	}
	return f.Store.Delete(ctx, key)
}

// countPuts counts the writes of publishing v2 over v1.
type counter struct {
	publish.Store
	n atomic.Int64
}

func (c *counter) Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts publish.PutOptions) error {
	c.n.Add(1)
	return c.Store.Put(ctx, key, body, size, opts)
}

// Whatever write a publish dies at, the store stays consistent (every file
// of a phase before the latest phase that has new bytes is complete; the
// old files are all there), and publishing again completes it.
func TestPublishInterrupted(t *testing.T) {
	v1, v2 := makeTree(1, "a", "b"), makeTree(2, "a", "c")
	v2["apt/pool/main/d_1.0+b1_all.deb"] = "another new blob"
	dir1, dir2 := writeTree(t, v1), writeTree(t, v2)
	for name, newStore := range storeKinds(t) {
		c := &counter{Store: newStore(t)}
		mustPublish(t, c.Store, dir1, publish.Options{})
		mustPublish(t, c, dir2, publish.Options{Now: t0.Add(time.Hour)})
		total := c.n.Load()
		for _, mode := range []string{"error", "cancel"} {
			for k := int64(0); k <= total; k++ {
				t.Run(fmt.Sprintf("%s/%s/after=%d", name, mode, k), func(t *testing.T) {
					s := newStore(t)
					mustPublish(t, s, dir1, publish.Options{})
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					f := &faulty{Store: s, after: k}
					if mode == "cancel" {
						f.cancel = cancel
					}
					_, err := publish.Publish(ctx, f, dir2, publish.Options{Now: t0.Add(time.Hour), Parallel: 3})
					if k < total && err == nil {
						t.Fatalf("Publish with a fault after %d of %d writes succeeded", k, total)
					}
					checkConsistent(t, storetest.Files(t, s), v1, v2)

					r := mustPublish(t, s, dir2, publish.Options{Now: t0.Add(2 * time.Hour), BreakLock: true})
					if diff := cmp.Diff(union(v2, v1), storetest.Files(t, s)); diff != "" {
						t.Errorf("store after the rerun (-want +got):\n%s", diff)
					}
					if r.Pruned != 0 {
						t.Errorf("the rerun pruned %v inside the grace period", r.PrunedKeys)
					}
				})
			}
		}
	}
}

// checkConsistent asserts what a client may rely on at any moment of a
// publish of new over old.
func checkConsistent(t *testing.T, got, old, new map[string]string) {
	t.Helper()
	latest := dist.Phase(-1)
	for k, v := range new {
		if old[k] != v && got[k] == v {
			latest = max(latest, dist.RuleFor(k).Phase)
		}
	}
	for k, v := range new {
		if dist.RuleFor(k).Phase < latest && got[k] != v {
			t.Errorf("%s (phase %d) lacks its new bytes, but a file of phase %d has them", k, dist.RuleFor(k).Phase, latest)
		}
		if o, ok := old[k]; ok && got[k] != o && got[k] != v {
			t.Errorf("%s holds neither its old nor its new bytes: %q", k, got[k])
		}
	}
	for k, v := range old {
		if _, ok := new[k]; !ok && got[k] != v {
			t.Errorf("old file %s, still referenced, is gone or changed", k)
		}
	}
}

// blocker holds the first upload of registry bytes until released.
type blocker struct {
	publish.Store
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (b *blocker) Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts publish.PutOptions) error {
	if !strings.HasPrefix(key, ".stockpile/") {
		b.once.Do(func() { close(b.entered); <-b.release })
	}
	return b.Store.Put(ctx, key, body, size, opts)
}

// Of two publishers at once, the second stops at the lock and says who
// holds it; the first completes.
func TestPublishConcurrent(t *testing.T) {
	for name, newStore := range storeKinds(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			v1, v2 := makeTree(1, "a"), makeTree(2, "a", "b")
			b := &blocker{Store: s, entered: make(chan struct{}), release: make(chan struct{})}
			done := make(chan error)
			go func() {
				_, err := publish.Publish(context.Background(), b, writeTree(t, v1), publish.Options{Now: t0})
				done <- err
			}()
			<-b.entered
			_, err := publish.Publish(context.Background(), s, writeTree(t, v2), publish.Options{Now: t0.Add(time.Minute)})
			var locked *publish.LockedError
			if !errors.As(err, &locked) || !errors.Is(err, publish.ErrLocked) {
				t.Fatalf("second publisher: %v, want a LockedError", err)
			}
			for _, want := range []string{"locked by", "since " + t0.Format(time.RFC3339), "--break-lock"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("lock message %q lacks %q", err, want)
				}
			}
			close(b.release)
			if err := <-done; err != nil {
				t.Fatalf("first publisher: %v", err)
			}
			if diff := cmp.Diff(v1, storetest.Files(t, s)); diff != "" {
				t.Errorf("store (-want +got):\n%s", diff)
			}
			// The lock is released: the next publish goes through.
			mustPublish(t, s, writeTree(t, v2), publish.Options{Now: t0.Add(time.Hour)})
		})
	}
}

// A lock left by a killed publisher stops the next one until it is broken.
func TestPublishStaleLock(t *testing.T) {
	s := publish.NewLocal(t.TempDir())
	stale := `{"owner":"ci","host":"runner-7","pid":4242,"since":"2026-02-27T08:00:00Z","token":"x"}`
	s.Put(context.Background(), ".stockpile/lock", bytesReader([]byte(stale)), int64(len(stale)), publish.PutOptions{})
	dir := writeTree(t, makeTree(1, "a"))
	_, err := publish.Publish(context.Background(), s, dir, publish.Options{Now: t0})
	if !errors.Is(err, publish.ErrLocked) {
		t.Fatalf("Publish over a stale lock = %v, want ErrLocked", err)
	}
	want := "the store is locked by ci on runner-7 (pid 4242) since 2026-02-27T08:00:00Z: another publish is running, or one was killed; if none is running, rerun with --break-lock"
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	if got := storetest.Files(t, s); len(got) != 0 {
		t.Errorf("a refused publish wrote %d files", len(got))
	}
	mustPublish(t, s, dir, publish.Options{BreakLock: true})
	if objs, _ := s.List(context.Background(), ".stockpile/lock"); len(objs) != 0 {
		t.Errorf("lock left behind: %v", objs)
	}
}

// An older tree is refused before anything is written.
func TestPublishRollback(t *testing.T) {
	tests := []struct {
		name          string
		published, tr map[string]string
		want          string
	}{
		{"tuf", makeTree(5, "a"), makeTree(4, "a"), "tuf/timestamp.json: the store holds version 5, the tree version 4"},
		{"tuf same version", makeTree(5, "a"), func() map[string]string {
			tr := makeTree(5, "a")
			tr["tuf/timestamp.json"] = `{"signed":{"_type":"timestamp","version":5,"expires":"later"}}`
			return tr
		}(), "tuf/timestamp.json: the store holds version 5 with other bytes"},
		{"tuf removed", makeTree(5, "a"), withoutTUF(makeTree(6, "a")), "the store holds tuf/timestamp.json but the tree has no TUF metadata"},
		{"apt date", withoutTUF(makeTree(5, "a")), withoutTUF(makeTree(4, "a")), "apt/dists/stable/Release: the store's Date is"},
		{"repomd revision", withoutTUF(makeTree(5, "a")), func() map[string]string {
			tr := withoutTUF(makeTree(6, "a"))
			tr["yum/repodata/repomd.xml"] = strings.Replace(tr["yum/repodata/repomd.xml"], "1006", "999", 1)
			return tr
		}(), "yum/repodata/repomd.xml: the store's revision is 1005, the tree's 999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := publish.NewLocal(t.TempDir())
			mustPublish(t, s, writeTree(t, tt.published), publish.Options{})
			before := allObjects(t, s)
			_, err := publish.Publish(context.Background(), s, writeTree(t, tt.tr), publish.Options{Now: t0.Add(time.Hour)})
			if !errors.Is(err, publish.ErrRollback) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Publish = %v, want ErrRollback mentioning %q", err, tt.want)
			}
			after := allObjects(t, s)
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("a refused publish changed the store (-before +after):\n%s", diff)
			}
		})
	}
	// A newer tree passes.
	s := publish.NewLocal(t.TempDir())
	mustPublish(t, s, writeTree(t, makeTree(5, "a")), publish.Options{})
	mustPublish(t, s, writeTree(t, makeTree(6, "a")), publish.Options{Now: t0.Add(time.Hour)})
}

// Bytes behind a published immutable name never change.
func TestPublishImmutable(t *testing.T) {
	for name, newStore := range storeKinds(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			v1 := makeTree(1, "a")
			mustPublish(t, s, writeTree(t, v1), publish.Options{})
			v2 := makeTree(2, "a")
			key := "apt/pool/main/a_1.0+b1_all.deb"
			v2[key] = "rebuilt bytes"
			before := allObjects(t, s)
			_, err := publish.Publish(context.Background(), s, writeTree(t, v2), publish.Options{Now: t0.Add(time.Hour)})
			want := fmt.Sprintf("%s: immutable file would change: the store holds sha256 %s, the tree %s", key, sha256Hex([]byte(v1[key])), sha256Hex([]byte(v2[key])))
			if !errors.Is(err, publish.ErrImmutable) || err.Error() != want {
				t.Fatalf("Publish = %v\nwant %s", err, want)
			}
			if diff := cmp.Diff(before, allObjects(t, s)); diff != "" {
				t.Errorf("a refused publish changed the store (-before +after):\n%s", diff)
			}
		})
	}
}

// The check holds without the state too: objects written by something else
// are read and hashed.
func TestPublishImmutableWithoutState(t *testing.T) {
	s := publish.NewLocal(t.TempDir())
	key := "apt/pool/main/a_1.0+b1_all.deb"
	s.Put(context.Background(), key, bytesReader([]byte("other")), 5, publish.PutOptions{})
	_, err := publish.Publish(context.Background(), s, writeTree(t, makeTree(1, "a")), publish.Options{Now: t0})
	if !errors.Is(err, publish.ErrImmutable) {
		t.Fatalf("Publish = %v, want ErrImmutable", err)
	}
}

// Files that left the tree are deleted only once the grace period has
// passed since they were last published, never more than the cap, and a
// dry run only says what it would delete.
func TestPublishPrune(t *testing.T) {
	for name, newStore := range storeKinds(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			v1, v2 := makeTree(1, "a", "b"), makeTree(2, "a", "c")
			dir2 := writeTree(t, v2)
			mustPublish(t, s, writeTree(t, v1), publish.Options{})
			gone := keptKeys(v1, v2)

			// v1's files stop being published at t0+40h.
			retired := t0.Add(40 * time.Hour)
			r := mustPublish(t, s, dir2, publish.Options{Now: retired})
			if r.Pruned != 0 || r.Kept != len(gone) {
				t.Errorf("pruned %v, kept %d; want none pruned, %d kept", r.PrunedKeys, r.Kept, len(gone))
			}
			// 47h later they are still in their grace period (48h).
			r = mustPublish(t, s, dir2, publish.Options{Now: retired.Add(47 * time.Hour)})
			if r.Pruned != 0 {
				t.Errorf("pruned inside the grace period: %v", r.PrunedKeys)
			}
			if diff := cmp.Diff(union(v2, v1), storetest.Files(t, s)); diff != "" {
				t.Errorf("store inside the grace period (-want +got):\n%s", diff)
			}

			after := retired.Add(49 * time.Hour)
			before := allObjects(t, s)
			r = mustPublish(t, s, dir2, publish.Options{Now: after, DryRun: true})
			if diff := cmp.Diff(gone, r.PrunedKeys); diff != "" || !r.DryRun {
				t.Errorf("dry run: would prune (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, allObjects(t, s)); diff != "" {
				t.Errorf("a dry run changed the store (-before +after):\n%s", diff)
			}

			r = mustPublish(t, s, dir2, publish.Options{Now: after, MaxDeletes: len(gone) - 1})
			if r.Pruned != 0 || !strings.Contains(r.PruneHeld, "more than the cap") || r.Kept != len(gone) {
				t.Errorf("over the cap: pruned %v, held %q, kept %d", r.PrunedKeys, r.PruneHeld, r.Kept)
			}
			if diff := cmp.Diff(union(v2, v1), storetest.Files(t, s)); diff != "" {
				t.Errorf("store over the cap (-want +got):\n%s", diff)
			}

			r = mustPublish(t, s, dir2, publish.Options{Now: after, MaxDeletes: len(gone)})
			if diff := cmp.Diff(gone, r.PrunedKeys); diff != "" {
				t.Errorf("pruned (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(v2, storetest.Files(t, s)); diff != "" {
				t.Errorf("store after pruning (-want +got):\n%s", diff)
			}
		})
	}
}

// Objects publish did not write itself (an interrupted publish's, or a
// lost state) get a full grace period from when they are first seen.
func TestPublishPruneUnknown(t *testing.T) {
	s := publish.NewLocal(t.TempDir())
	s.Put(context.Background(), "apt/pool/main/stray.deb", bytesReader([]byte("x")), 1, publish.PutOptions{})
	dir := writeTree(t, makeTree(1, "a"))
	r := mustPublish(t, s, dir, publish.Options{Now: t0.Add(1000 * time.Hour)})
	if diff := cmp.Diff([]string{"apt/pool/main/stray.deb"}, r.KeptKeys); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	r = mustPublish(t, s, dir, publish.Options{Now: t0.Add(1048 * time.Hour)})
	if diff := cmp.Diff([]string{"apt/pool/main/stray.deb"}, r.PrunedKeys); diff != "" {
		t.Errorf("pruned (-want +got):\n%s", diff)
	}
}

// A dry run of a first publish writes nothing and reports every file new.
func TestPublishDryRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "www")
	s := publish.NewLocal(dir)
	tree := makeTree(1, "a")
	r := mustPublish(t, s, writeTree(t, tree), publish.Options{DryRun: true})
	if r.New != len(tree) || !r.DryRun || r.BytesUploaded == 0 {
		t.Errorf("dry run report: %+v", r)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run made the store folder: %v", err)
	}
}
