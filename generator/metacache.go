package generator

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// metaCache keeps each format's metadata by artifact sha256 in one
// append-only file per format, so that a build of many artifacts reads one
// file instead of opening thousands. Entries never go stale: the key is the
// hash of the bytes they were read from.
type metaCache struct {
	dir string

	mu      sync.Mutex
	loaded  map[string]bool                // format → file read
	entries map[string]map[[32]byte][]byte // format → sha256 → metadata
	pending map[string][]byte              // format → records to append
}

func newMetaCache(dir string) *metaCache {
	return &metaCache{
		dir:     dir,
		loaded:  map[string]bool{},
		entries: map[string]map[[32]byte][]byte{},
		pending: map[string][]byte{},
	}
}

func (c *metaCache) file(format string) string {
	return filepath.Join(c.dir, format+".bin")
}

// get returns the cached metadata for an artifact, or nil.
func (c *metaCache) get(format, sha256hex string) []byte {
	key, ok := cacheKey(sha256hex)
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded[format] {
		c.loaded[format] = true
		c.entries[format] = readRecords(c.file(format))
	}
	return c.entries[format][key]
}

// put records metadata; flush writes it.
func (c *metaCache) put(format, sha256hex string, meta []byte) {
	key, ok := cacheKey(sha256hex)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[format] == nil {
		c.entries[format] = map[[32]byte][]byte{}
	}
	c.entries[format][key] = meta
	rec := append([]byte(nil), key[:]...)
	rec = binary.AppendUvarint(rec, uint64(len(meta)))
	c.pending[format] = append(append(c.pending[format], rec...), meta...)
}

// flush appends the new records, one write per format. A torn last record
// (a crash mid-write) is ignored when read back.
func (c *metaCache) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for format, recs := range c.pending {
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(c.file(format), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, err = f.Write(recs)
		errs = append(errs, err, f.Close())
		delete(c.pending, format)
	}
	return errors.Join(errs...)
}

func cacheKey(sha256hex string) ([32]byte, bool) {
	var key [32]byte
	n, err := hex.Decode(key[:], []byte(sha256hex))
	return key, err == nil && n == 32
}

// readRecords reads a cache file; a missing or damaged file reads as what
// could be parsed before the damage.
func readRecords(path string) map[[32]byte][]byte {
	out := map[[32]byte][]byte{}
	data, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	r := bytes.NewReader(data)
	for {
		var key [32]byte
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return out
		}
		n, err := binary.ReadUvarint(r)
		if err != nil || n > uint64(r.Len()) {
			return out
		}
		start := len(data) - r.Len()
		out[key] = data[start : start+int(n) : start+int(n)]
		r.Seek(int64(n), io.SeekCurrent)
	}
}
