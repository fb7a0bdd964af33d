package dist

import (
	"bytes"
	stdgzip "compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ulikunitz/xz"
)

// smallChunking makes many chunks out of small inputs, so tests see the
// multi-chunk paths quickly.
var smallChunking = chunking{min: 1 << 10, avg: 1 << 10, max: 8 << 10}

func newTestCompressor(dir string) *Compressor {
	return newCompressor(dir, smallChunking, 64<<20)
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

type compressInput struct {
	name string
	data []byte
}

func compressInputs(t testing.TB) []compressInput {
	t.Helper()
	enormous := "first line\n" + strings.Repeat("enormous line without end ", 8000) + "\nlast line\n"
	return []compressInput{
		{"empty", nil},
		{"tiny", []byte("a\n")},
		{"one byte", []byte("x")},
		{"no newline", bytes.Repeat([]byte("no newline here, "), 3000)},
		{"enormous line", []byte(enormous)},
		{"only newlines", bytes.Repeat([]byte("\n"), 40000)},
		{"random bytes", randomBytes(50000, 1)},
		{"packages", packagesText(200)},
	}
}

func unxz(t testing.TB, b []byte) []byte {
	t.Helper()
	r, err := xz.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("xz.NewReader: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading xz: %v", err)
	}
	return out
}

// gunzip reads exactly one gzip member and fails if anything follows it.
func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	br := bytes.NewReader(b)
	r, err := stdgzip.NewReader(br)
	if err != nil {
		t.Fatalf("gzip.NewReader: %v", err)
	}
	r.Multistream(false)
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading gzip: %v", err)
	}
	if br.Len() != 0 {
		t.Fatalf("%d bytes after the gzip member", br.Len())
	}
	if r.Name != "" || !r.ModTime.IsZero() {
		t.Errorf("gzip header has name %q, time %v; want neither", r.Name, r.ModTime)
	}
	return out
}

func TestCompressRoundTrip(t *testing.T) {
	inputs := compressInputs(t)
	inputs = append(inputs, compressInput{"packages default chunking", packagesText(3000)})
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			c := newTestCompressor("")
			if strings.Contains(in.name, "default") {
				c = NewCompressor("")
			}
			x, err := c.XZ(in.data)
			if err != nil {
				t.Fatalf("XZ: %v", err)
			}
			if got := unxz(t, x); !bytes.Equal(got, in.data) {
				t.Errorf("XZ round trip: got %d bytes, want %d", len(got), len(in.data))
			}
			g, err := c.Gzip(in.data)
			if err != nil {
				t.Fatalf("Gzip: %v", err)
			}
			if got := gunzip(t, g); !bytes.Equal(got, in.data) {
				t.Errorf("Gzip round trip: got %d bytes, want %d", len(got), len(in.data))
			}
			if got, want := c.Stats().Chunks, int64(2*len(c.split.cuts(in.data))); got != want {
				t.Errorf("Stats().Chunks = %d, want %d", got, want)
			}
		})
	}
}

func TestChunkCuts(t *testing.T) {
	for _, in := range compressInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			p := smallChunking
			ends := p.cuts(in.data)
			if len(in.data) == 0 {
				if len(ends) != 0 {
					t.Fatalf("cuts(empty) = %v, want none", ends)
				}
				return
			}
			if ends[len(ends)-1] != len(in.data) {
				t.Fatalf("last cut %d, want %d", ends[len(ends)-1], len(in.data))
			}
			start := 0
			for i, e := range ends {
				n := e - start
				if n <= 0 || n > p.max {
					t.Fatalf("chunk %d has %d bytes, want 1..%d", i, n, p.max)
				}
				if i < len(ends)-1 {
					if n < p.min {
						t.Errorf("chunk %d has %d bytes, want at least %d", i, n, p.min)
					}
					// Cut after a newline, unless the window had none.
					if in.data[e-1] != '\n' && bytes.IndexByte(in.data[start+p.min-1:e], '\n') >= 0 {
						t.Errorf("chunk %d ends mid-line at %d", i, e)
					}
				}
				start = e
			}
		})
	}
}

func TestChunkSizes(t *testing.T) {
	data := packagesText(10000)
	ends := defaultChunking.cuts(data)
	mean := len(data) / len(ends)
	want := defaultChunking.min + defaultChunking.avg
	if mean < want/2 || mean > want*2 {
		t.Errorf("mean chunk size %d, want about %d", mean, want)
	}
	t.Logf("%d bytes in %d chunks, mean %d", len(data), len(ends), mean)
}

// chunkSet returns the SHA-256 of every chunk of data.
func chunkSet(p chunking, data []byte) map[[32]byte]bool {
	set := map[[32]byte]bool{}
	start := 0
	for _, e := range p.cuts(data) {
		set[sha256.Sum256(data[start:e])] = true
		start = e
	}
	return set
}

func TestChunkCutsResync(t *testing.T) {
	data := packagesText(2000)
	mid := bytes.Index(data[len(data)/2:], []byte("\nVersion: ")) + len(data)/2
	edits := []struct {
		name string
		data []byte
	}{
		{"insert stanza", insertStanza(data, "x")},
		{"change a line", append(append(append([]byte{}, data[:mid]...), "\nVersion: 99:"...), data[mid+len("\nVersion: "):]...)},
		{"delete stanza", append(append([]byte{}, data[:mid-200]...), data[mid+800:]...)},
	}
	before := chunkSet(smallChunking, data)
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			after := chunkSet(smallChunking, e.data)
			changed := 0
			for k := range after {
				if !before[k] {
					changed++
				}
			}
			if changed == 0 || changed > 3 {
				t.Errorf("%d of %d chunks changed, want 1 to 3", changed, len(after))
			}
		})
	}
}

func TestCompressDeterministic(t *testing.T) {
	data := packagesText(300)
	dir := t.TempDir()
	type result struct{ xz, gz []byte }
	run := func(c *Compressor) result {
		t.Helper()
		x, err := c.XZ(data)
		if err != nil {
			t.Fatal(err)
		}
		g, err := c.Gzip(data)
		if err != nil {
			t.Fatal(err)
		}
		return result{x, g}
	}
	cold := newTestCompressor(dir)
	want := run(cold)
	if s := cold.Stats(); s.Compressed != s.Chunks || s.Chunks < 10 {
		t.Fatalf("cold stats %+v, want every one of many chunks compressed", s)
	}
	if got := run(cold); !bytes.Equal(got.xz, want.xz) || !bytes.Equal(got.gz, want.gz) {
		t.Errorf("memory cache: output differs from cold run")
	}
	if s := cold.Stats(); s.MemoryHits != s.Chunks/2 {
		t.Errorf("after second run: stats %+v, want half the chunks from memory", s)
	}
	warm := newTestCompressor(dir)
	if got := run(warm); !bytes.Equal(got.xz, want.xz) || !bytes.Equal(got.gz, want.gz) {
		t.Errorf("disk cache: output differs from cold run")
	}
	if s := warm.Stats(); s.DiskHits != s.Chunks || s.Compressed != 0 || s.CacheErrors != 0 {
		t.Errorf("disk cache: stats %+v, want every chunk from disk", s)
	}
	if got := run(newTestCompressor("")); !bytes.Equal(got.xz, want.xz) || !bytes.Equal(got.gz, want.gz) {
		t.Errorf("no cache: output differs from cold run")
	}
}

func TestNilCompressor(t *testing.T) {
	data := packagesText(2000) // a few chunks of the default size
	var nilC *Compressor
	c := NewCompressor("")
	for name, f := range map[string]func(*Compressor, []byte) ([]byte, error){"XZ": (*Compressor).XZ, "Gzip": (*Compressor).Gzip} {
		want, err := f(c, data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f(nilC, data)
		if err != nil {
			t.Fatalf("nil %s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("nil %s differs from a Compressor's output", name)
		}
	}
	if s := nilC.Stats(); s != (CompressStats{}) {
		t.Errorf("nil Stats() = %+v, want zero", s)
	}
	if n, err := nilC.Prune(); n != 0 || err != nil {
		t.Errorf("nil Prune() = %d, %v; want 0, nil", n, err)
	}
}

func TestCompressIncremental(t *testing.T) {
	// A Packages file of 10,000 stanzas (about 10 MB) in default chunks; the
	// short version scales both down.
	c := func(dir string) *Compressor { return NewCompressor(dir) }
	n := 10000
	if testing.Short() {
		c = newTestCompressor
		n = 1000
	}
	data := packagesText(n)
	changed := insertStanza(data, "new")
	dir := t.TempDir()

	first := c(dir)
	if _, err := first.XZ(data); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Gzip(data); err != nil {
		t.Fatal(err)
	}

	second := c(dir)
	x, err := second.XZ(changed)
	if err != nil {
		t.Fatal(err)
	}
	g, err := second.Gzip(changed)
	if err != nil {
		t.Fatal(err)
	}
	s := second.Stats()
	t.Logf("%d bytes, stats after inserting a stanza: %+v", len(changed), s)
	if s.Chunks < 8 || s.Compressed < 2 || s.Compressed > 6 || s.DiskHits != s.Chunks-s.Compressed {
		t.Errorf("stats %+v: want 1 to 3 chunks recompressed per format, the rest from disk", s)
	}

	// Same bytes as a cold run.
	cold := c("")
	wantX, _ := cold.XZ(changed)
	wantG, _ := cold.Gzip(changed)
	if !bytes.Equal(x, wantX) || !bytes.Equal(g, wantG) {
		t.Errorf("incremental output differs from a cold run")
	}
	if got := unxz(t, x); !bytes.Equal(got, changed) {
		t.Errorf("xz round trip differs")
	}
	if got := gunzip(t, g); !bytes.Equal(got, changed) {
		t.Errorf("gzip round trip differs")
	}
}

func TestCompressCorruptCache(t *testing.T) {
	data := packagesText(100)
	dir := t.TempDir()
	want, err := newTestCompressor(dir).XZ(data)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := filepath.Glob(filepath.Join(dir, "xz", "*"))
	if err != nil || len(entries) < 5 {
		t.Fatalf("cache entries %v, %v; want at least 5", entries, err)
	}
	damage := []func(p string) error{
		func(p string) error { return os.Truncate(p, 0) },
		func(p string) error { return os.Truncate(p, 40) },
		func(p string) error { // flip a payload byte
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)-5] ^= 1
			return os.WriteFile(p, b, 0o644)
		},
		func(p string) error { // an entry of another encoder version
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(diskMagic)+2] ^= 1
			return os.WriteFile(p, b, 0o644)
		},
		func(p string) error { // unreadable: a directory
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Mkdir(p, 0o755)
		},
	}
	for i, f := range damage {
		if err := f(entries[i]); err != nil {
			t.Fatal(err)
		}
	}

	c := newTestCompressor(dir)
	got, err := c.XZ(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output with a damaged cache differs")
	}
	s := c.Stats()
	if s.Compressed != int64(len(damage)) || s.CacheErrors < int64(len(damage)) {
		t.Errorf("stats %+v, want %d chunks recompressed and as many cache errors", s, len(damage))
	}

	// The damaged files were replaced (except the directory, which the
	// rename cannot replace).
	again := newTestCompressor(dir)
	if _, err := again.XZ(data); err != nil {
		t.Fatal(err)
	}
	if s := again.Stats(); s.Compressed != 1 {
		t.Errorf("after repair: stats %+v, want 1 chunk recompressed", s)
	}
}

func TestCompressUnwritableCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	data := packagesText(50)
	c := newTestCompressor(dir)
	x, err := c.XZ(data)
	if err != nil {
		t.Fatalf("XZ with an unwritable cache: %v", err)
	}
	if got := unxz(t, x); !bytes.Equal(got, data) {
		t.Errorf("round trip differs")
	}
	if s := c.Stats(); s.CacheErrors == 0 {
		t.Errorf("stats %+v, want cache errors counted", s)
	}
}

func TestCompressPrune(t *testing.T) {
	a, b := packagesText(100), []byte(strings.Repeat("other content\n", 3000))
	dir := t.TempDir()
	first := newTestCompressor(dir)
	for _, d := range [][]byte{a, b} {
		if _, err := first.XZ(d); err != nil {
			t.Fatal(err)
		}
		if _, err := first.Gzip(d); err != nil {
			t.Fatal(err)
		}
	}
	stray := filepath.Join(dir, "xz", ".tmp-123")
	if err := os.WriteFile(stray, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		xs, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
		return len(xs)
	}
	total := count()

	second := newTestCompressor(dir)
	if _, err := second.XZ(a); err != nil {
		t.Fatal(err)
	}
	kept := int(second.Stats().Chunks)
	removed, err := second.Prune()
	if err != nil {
		t.Fatal(err)
	}
	if removed != total-kept || count() != kept {
		t.Errorf("Prune removed %d of %d entries, left %d; want %d left", removed, total, count(), kept)
	}

	third := newTestCompressor(dir)
	if _, err := third.XZ(a); err != nil {
		t.Fatal(err)
	}
	if s := third.Stats(); s.DiskHits != s.Chunks {
		t.Errorf("after Prune: stats %+v, want every chunk of the kept input from disk", s)
	}
}

func TestCompressConcurrent(t *testing.T) {
	inputs := compressInputs(t)
	ref := newTestCompressor("")
	wantX := make([][]byte, len(inputs))
	wantG := make([][]byte, len(inputs))
	for i, in := range inputs {
		var err error
		if wantX[i], err = ref.XZ(in.data); err != nil {
			t.Fatal(err)
		}
		if wantG[i], err = ref.Gzip(in.data); err != nil {
			t.Fatal(err)
		}
	}

	c := newCompressor(t.TempDir(), smallChunking, 256<<10) // small: evictions too
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(inputs))
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range inputs {
				i := (k + g) % len(inputs)
				x, err := c.XZ(inputs[i].data)
				if err != nil || !bytes.Equal(x, wantX[i]) {
					errs <- fmt.Errorf("XZ(%s): %v or output differs", inputs[i].name, err)
				}
				z, err := c.Gzip(inputs[i].data)
				if err != nil || !bytes.Equal(z, wantG[i]) {
					errs <- fmt.Errorf("Gzip(%s): %v or output differs", inputs[i].name, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCompressSameChunkOnce(t *testing.T) {
	data := packagesText(200)
	c := newTestCompressor("")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.XZ(data); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if s, n := c.Stats(), len(smallChunking.cuts(data)); s.Compressed != int64(n) || s.MemoryHits != int64(3*n) {
		t.Errorf("stats %+v; want each of %d chunks compressed once", s, n)
	}
}

func TestCompressSmallNotCached(t *testing.T) {
	dir := t.TempDir()
	c := NewCompressor(dir)
	data := packagesText(20) // less than a cache entry is worth
	for _, f := range []compressFunc{(*Compressor).XZ, (*Compressor).Gzip} {
		if _, err := f(c, data); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.Stats(); s.Compressed != 2 || s.Chunks != 2 {
		t.Errorf("stats %+v, want 2 chunks compressed", s)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*", "*")); len(entries) != 0 {
		t.Errorf("cache entries %v, want none", entries)
	}
}

func TestXZBlockHeader(t *testing.T) {
	// The header must be a multiple of four bytes long, say so in its first
	// byte, and carry the sizes as xz multibyte integers.
	for _, sizes := range [][2]uint64{{1, 1}, {127, 128}, {1 << 20, 4 << 20}, {1<<35 + 3, 1 << 40}} {
		h := xzBlockHeader(nil, sizes[0], sizes[1], 20)
		if len(h)%4 != 0 || int(h[0]+1)*4 != len(h) {
			t.Errorf("sizes %v: header of %d bytes says %d", sizes, len(h), int(h[0]+1)*4)
		}
		if diff := cmp.Diff(byte(0xc0), h[1]); diff != "" {
			t.Errorf("sizes %v: flags (-want +got):\n%s", sizes, diff)
		}
	}
}
