package dist

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"

	"github.com/stockpile/stockpile/internal/atomicfile"
)

// cacheKind separates the chunk caches of the two formats.
type cacheKind uint8

const (
	kindXZ cacheKind = iota
	kindGzip
)

func (k cacheKind) dir() string {
	if k == kindXZ {
		return "xz"
	}
	return "gz"
}

type cacheKey struct {
	kind cacheKind
	sum  [32]byte // SHA-256 of the uncompressed chunk
}

// memCache is a least-recently-used map of chunk payloads bounded in bytes.
type memCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // of *memEntry, most recent first
	byKey map[cacheKey]*list.Element
}

type memEntry struct {
	key     cacheKey
	payload []byte
}

func newMemCache(maxBytes int) *memCache {
	return &memCache{max: maxBytes, order: list.New(), byKey: map[cacheKey]*list.Element{}}
}

func (m *memCache) get(k cacheKey) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.byKey[k]
	if !ok {
		return nil, false
	}
	m.order.MoveToFront(e)
	return e.Value.(*memEntry).payload, true
}

func (m *memCache) put(k cacheKey, p []byte) {
	if len(p) > m.max {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.byKey[k]; ok {
		m.order.MoveToFront(e)
		return
	}
	m.byKey[k] = m.order.PushFront(&memEntry{key: k, payload: p})
	m.size += len(p)
	for m.size > m.max {
		e := m.order.Back()
		old := e.Value.(*memEntry)
		m.order.Remove(e)
		delete(m.byKey, old.key)
		m.size -= len(old.payload)
	}
}

// A disk cache entry is
//
//	magic | len(tag) | tag | CRC-32C(payload) | payload
//
// The tag names the encoder and its version: a different encoder could make
// different bytes, and output must not depend on whether the cache was warm.
// The checksum catches truncated or damaged files, which count as misses.
const diskMagic = "SPCHUNK1"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encoderTags returns the tag of each kind, naming the compression library
// versions linked into this binary.
func encoderTags() map[cacheKind]string {
	versions := map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			versions[d.Path] = d.Version + d.Sum
		}
	}
	tags := map[cacheKind]string{
		kindXZ:   fmt.Sprintf("xz/%s/%s", xzEncoderParams, versions["github.com/ulikunitz/xz"]),
		kindGzip: fmt.Sprintf("gz/%s/%s", gzipEncoderParams, versions["github.com/klauspost/compress"]),
	}
	for k, t := range tags {
		if len(t) > 255 { // its length must fit in a byte
			sum := sha256.Sum256([]byte(t))
			tags[k] = hex.EncodeToString(sum[:])
		}
	}
	return tags
}

func (c *Compressor) diskPath(k cacheKey) string {
	return filepath.Join(c.dir, k.kind.dir(), hex.EncodeToString(k.sum[:]))
}

func (c *Compressor) readDisk(k cacheKey) ([]byte, bool) {
	if c.dir == "" {
		return nil, false
	}
	b, err := os.ReadFile(c.diskPath(k))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.cacheErrors.Add(1)
		}
		return nil, false
	}
	p, ok := parseEntry(b, c.tags[k.kind])
	if !ok {
		c.cacheErrors.Add(1)
	}
	return p, ok
}

func parseEntry(b []byte, tag string) ([]byte, bool) {
	head := len(diskMagic) + 1 + len(tag) + 4
	if len(b) < head || string(b[:len(diskMagic)]) != diskMagic ||
		int(b[len(diskMagic)]) != len(tag) || string(b[len(diskMagic)+1:head-4]) != tag {
		return nil, false
	}
	p := b[head:]
	if binary.LittleEndian.Uint32(b[head-4:head]) != crc32.Checksum(p, castagnoli) {
		return nil, false
	}
	return p, true
}

func makeEntry(tag string, p []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(diskMagic) + 1 + len(tag) + 4 + len(p))
	b.WriteString(diskMagic)
	b.WriteByte(byte(len(tag)))
	b.WriteString(tag)
	b.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(p, castagnoli)))
	b.Write(p)
	return b.Bytes()
}

// writeDisk stores a payload. The cache only saves time, so a failure is
// counted, not returned.
func (c *Compressor) writeDisk(k cacheKey, p []byte) {
	if c.dir == "" {
		return
	}
	if err := c.writeEntry(k, p); err != nil {
		c.cacheErrors.Add(1)
	}
}

func (c *Compressor) writeEntry(k cacheKey, p []byte) error {
	return atomicfile.Write(c.diskPath(k), bytes.NewReader(makeEntry(c.tags[k.kind], p)), 0o644)
}

// Prune removes the disk cache entries this Compressor has neither read nor
// written, and returns how many it removed. Call it after a complete build, so
// that the cache holds the chunks of the current indexes only.
func (c *Compressor) Prune() (int, error) {
	if c == nil || c.dir == "" {
		return 0, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	removed := 0
	var errs []error
	for _, kind := range []cacheKind{kindXZ, kindGzip} {
		dir := filepath.Join(c.dir, kind.dir())
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("prune compression cache: %w", err))
			continue
		}
		for _, e := range entries {
			var k cacheKey
			k.kind = kind
			if len(e.Name()) == hex.EncodedLen(len(k.sum)) {
				if _, err := hex.Decode(k.sum[:], []byte(e.Name())); err == nil && c.touched[k] {
					continue
				}
			}
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, fmt.Errorf("prune compression cache: %w", err))
				continue
			}
			removed++
		}
	}
	return removed, errors.Join(errs...)
}
