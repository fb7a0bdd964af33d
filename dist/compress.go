package dist

import (
	"crypto/sha256"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Compressor makes the compressed variants of index files. Its output depends
// on the input bytes alone (no names or times in headers, no dependence on the
// cache or the number of cores).
//
// Large inputs are cut into content-defined chunks at line boundaries; each
// chunk is compressed on its own, in parallel, and the results are framed as a
// single .xz stream (one block per chunk) or a single gzip member (one deflate
// segment per chunk, as pigz --independent does). Compressed chunks are cached
// by the SHA-256 of their bytes, so a rebuild after a small change to an index
// recompresses only the one or two chunks around the change.
//
// A Compressor is safe for concurrent use. A nil *Compressor compresses
// without a cache.
type Compressor struct {
	dir   string // on-disk cache root; "" keeps the cache in memory only
	tags  map[cacheKind]string
	split chunking
	sem   chan struct{} // bounds the chunks being compressed at once, over all calls
	mem   *memCache

	// minCached is the smallest chunk worth a cache entry: smaller ones
	// compress faster than a file can be written.
	minCached int

	mu       sync.Mutex
	touched  map[cacheKey]bool    // disk entries read or written, kept by Prune
	inflight map[cacheKey]*flight // chunks being looked up or compressed

	chunks, compressed, memHits, diskHits, cacheErrors atomic.Int64
}

// CompressStats counts the work a Compressor did since it was made.
type CompressStats struct {
	Chunks      int64 // chunks of input seen by Gzip and XZ
	Compressed  int64 // chunks compressed: cache misses, and chunks too small to cache
	MemoryHits  int64 // chunks found in the memory cache
	DiskHits    int64 // chunks found in the disk cache
	CacheErrors int64 // disk cache entries that could not be written or read back
}

// memCacheBytes bounds the memory cache. Within one build it mostly serves
// chunks shared between the indexes of several architectures or suites.
const memCacheBytes = 128 << 20

// NewCompressor returns a Compressor that caches compressed chunks in memory
// and, when cacheDir is not empty, in files under cacheDir/xz and cacheDir/gz,
// so that the next process can reuse them. The directory is created when
// first needed. Its contents are trusted like the build output itself.
func NewCompressor(cacheDir string) *Compressor {
	c := newCompressor(cacheDir, defaultChunking, memCacheBytes)
	c.minCached = 64 << 10
	return c
}

func newCompressor(cacheDir string, split chunking, memBytes int) *Compressor {
	return &Compressor{
		dir:      cacheDir,
		tags:     encoderTags(),
		split:    split,
		sem:      make(chan struct{}, runtime.GOMAXPROCS(0)),
		mem:      newMemCache(memBytes),
		touched:  map[cacheKey]bool{},
		inflight: map[cacheKey]*flight{},
	}
}

// orNew returns c, or for a nil c a Compressor without cache.
func (c *Compressor) orNew() *Compressor {
	if c != nil {
		return c
	}
	c = newCompressor("", defaultChunking, 0)
	c.minCached = math.MaxInt
	return c
}

// Stats returns the counters of the work done so far.
func (c *Compressor) Stats() CompressStats {
	if c == nil {
		return CompressStats{}
	}
	return CompressStats{
		Chunks:      c.chunks.Load(),
		Compressed:  c.compressed.Load(),
		MemoryHits:  c.memHits.Load(),
		DiskHits:    c.diskHits.Load(),
		CacheErrors: c.cacheErrors.Load(),
	}
}

// compressChunks returns the payload of every chunk of data, cut at ends,
// from the cache or made by compress. Lookups and compression run in
// parallel; the result is in chunk order.
func (c *Compressor) compressChunks(kind cacheKind, data []byte, ends []int, compress func([]byte) ([]byte, error)) ([][]byte, error) {
	out := make([][]byte, len(ends))
	errs := make([]error, len(ends))
	chunk := func(i int) []byte {
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		return data[start:ends[i]]
	}
	c.chunks.Add(int64(len(ends)))
	// Longest first: the last chunk to start is short, so all cores stay
	// busy until near the end.
	order := make([]int, len(ends))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(chunk(b)) - len(chunk(a)) })
	var wg sync.WaitGroup
	for _, i := range order {
		c.sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-c.sem; wg.Done() }()
			out[i], errs[i] = c.chunkPayload(kind, chunk(i), compress)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// flight is a chunk being looked up or compressed, which other calls with
// the same chunk wait for instead of doing the same work.
type flight struct {
	done    chan struct{}
	payload []byte
	err     error
}

func (c *Compressor) chunkPayload(kind cacheKind, chunk []byte, compress func([]byte) ([]byte, error)) ([]byte, error) {
	if len(chunk) < c.minCached {
		c.compressed.Add(1)
		return compress(chunk)
	}
	key := cacheKey{kind: kind, sum: sha256.Sum256(chunk)}
	if p, ok := c.mem.get(key); ok {
		c.memHits.Add(1)
		c.touch(key)
		return p, nil
	}
	c.mu.Lock()
	// Looked up again under the lock: a flight that ended since the first
	// look left its payload in memory before leaving inflight.
	if p, ok := c.mem.get(key); ok {
		c.mu.Unlock()
		c.memHits.Add(1)
		c.touch(key)
		return p, nil
	}
	if f, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		<-f.done
		if f.err == nil {
			c.memHits.Add(1)
		}
		return f.payload, f.err
	}
	f := &flight{done: make(chan struct{})}
	c.inflight[key] = f
	c.mu.Unlock()

	f.payload, f.err = c.lookupOrCompress(key, chunk, compress)
	c.mu.Lock()
	delete(c.inflight, key)
	c.mu.Unlock()
	close(f.done)
	return f.payload, f.err
}

func (c *Compressor) lookupOrCompress(key cacheKey, chunk []byte, compress func([]byte) ([]byte, error)) ([]byte, error) {
	if p, ok := c.readDisk(key); ok {
		c.diskHits.Add(1)
		c.mem.put(key, p)
		c.touch(key)
		return p, nil
	}
	p, err := compress(chunk)
	if err != nil {
		return nil, err
	}
	c.compressed.Add(1)
	c.mem.put(key, p)
	c.writeDisk(key, p)
	c.touch(key)
	return p, nil
}

func (c *Compressor) touch(k cacheKey) {
	if c.dir == "" {
		return
	}
	c.mu.Lock()
	c.touched[k] = true
	c.mu.Unlock()
}
