package artifact

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/internal/atomicfile"
)

// racyWindow: a file modified this shortly before it was hashed could change
// again within the file system's timestamp granularity without its stat data
// showing it, so its digests are not remembered.
const racyWindow = 2 * time.Second

// local verifies the file at path in place.
func (r *Resolver) local(ctx context.Context, m *config.Manifest, path, src string) (string, digest.Set, error) {
	fail := func(err error) (string, digest.Set, error) {
		return "", digest.Set{}, fmt.Errorf("%s: source %s: %w", m.Pos("source"), src, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	if !fi.Mode().IsRegular() {
		return fail(errors.New("not a regular file"))
	}
	if fi.Size() != m.Size {
		// No need to read it to know.
		return "", digest.Set{}, &MismatchError{Pos: m.Pos("size"), Source: src, Field: "size", Want: strconv.FormatInt(m.Size, 10), Got: strconv.FormatInt(fi.Size(), 10)}
	}
	d, ok := r.statLookup(path, fi)
	if !ok {
		start := r.opts.Clock()
		if d, err = r.hashFile(ctx, path); err != nil {
			return fail(err)
		}
		// Remember the digests only if the file did not change while it
		// was read.
		if after, err := os.Stat(path); err == nil && statKeyOf(after) == statKeyOf(fi) {
			r.statStore(path, fi, d, start)
		}
	}
	if err := verify(m, src, d); err != nil {
		return "", digest.Set{}, err
	}
	return path, d, nil
}

// hashFile reads the file at path once and returns its digests.
func (r *Resolver) hashFile(ctx context.Context, path string) (digest.Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return digest.Set{}, err
	}
	defer f.Close()
	w := digest.NewWriter()
	if _, err := io.CopyBuffer(w, ctxReader{ctx, f}, make([]byte, 256<<10)); err != nil {
		return digest.Set{}, err
	}
	r.hashed.Add(1)
	return w.Set(), nil
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// The stat cache's file in the cache folder: a header, then per file its
// path, stat data and digests, in a fixed binary layout that a large
// registry's warm build loads in milliseconds.
const (
	statFile   = "stat.bin"
	statMagic  = "stockpile stat cache 1\n"
	statRecord = 5*8 + 16 + 20 + 32 + 64 // after the path
)

// statKey is what must be unchanged for a file's remembered digests to hold.
type statKey struct {
	Size  int64
	MTime int64 // nanoseconds
	CTime int64 // nanoseconds; catches content changes with mtime restored
	Ino   uint64
	Dev   uint64
}

func statKeyOf(fi fs.FileInfo) statKey {
	k := statKey{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	k.Ino, k.Dev, k.CTime = sysStat(fi)
	return k
}

type statEntry struct {
	Key    statKey
	MD5    [16]byte
	SHA1   [20]byte
	SHA256 [32]byte
	SHA512 [64]byte
}

// statCache maps absolute paths to the digests of their files.
type statCache struct {
	file    string // "" when there is no cache folder to keep it in
	entries map[string]statEntry
	used    map[string]bool
	dirty   bool
}

func loadStatCache(dir string) *statCache {
	c := &statCache{entries: map[string]statEntry{}, used: map[string]bool{}}
	if dir == "" {
		return c
	}
	c.file = filepath.Join(dir, statFile)
	data, err := os.ReadFile(c.file)
	if err != nil {
		return c
	}
	// A cache that cannot be read is rebuilt, never an error.
	if entries, ok := decodeStats(data); ok {
		c.entries = entries
	}
	return c
}

func decodeStats(data []byte) (map[string]statEntry, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(statMagic))
	if !ok {
		return nil, false
	}
	count, n := binary.Uvarint(rest)
	if n <= 0 || count > uint64(len(rest))/statRecord {
		return nil, false
	}
	rest = rest[n:]
	entries := make(map[string]statEntry, count)
	for range count {
		plen, n := binary.Uvarint(rest)
		if n <= 0 || plen > uint64(len(rest)-n) || uint64(len(rest)-n)-plen < statRecord {
			return nil, false
		}
		path := string(rest[n : n+int(plen)])
		rec := rest[n+int(plen):]
		var e statEntry
		le := binary.LittleEndian
		e.Key = statKey{
			Size:  int64(le.Uint64(rec[0:])),
			MTime: int64(le.Uint64(rec[8:])),
			CTime: int64(le.Uint64(rec[16:])),
			Ino:   le.Uint64(rec[24:]),
			Dev:   le.Uint64(rec[32:]),
		}
		rec = rec[40:]
		rec = rec[copy(e.MD5[:], rec):]
		rec = rec[copy(e.SHA1[:], rec):]
		rec = rec[copy(e.SHA256[:], rec):]
		rec = rec[copy(e.SHA512[:], rec):]
		entries[path] = e
		rest = rec
	}
	return entries, len(rest) == 0
}

func encodeStats(entries map[string]statEntry) []byte {
	paths := make([]string, 0, len(entries))
	size := len(statMagic) + binary.MaxVarintLen64
	for p := range entries {
		paths = append(paths, p)
		size += binary.MaxVarintLen64 + len(p) + statRecord
	}
	// Sorted, so that an unchanged cache is written byte for byte the same.
	slices.Sort(paths)
	buf := make([]byte, 0, size)
	buf = append(buf, statMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(paths)))
	le := binary.LittleEndian
	for _, p := range paths {
		e := entries[p]
		buf = binary.AppendUvarint(buf, uint64(len(p)))
		buf = append(buf, p...)
		buf = le.AppendUint64(buf, uint64(e.Key.Size))
		buf = le.AppendUint64(buf, uint64(e.Key.MTime))
		buf = le.AppendUint64(buf, uint64(e.Key.CTime))
		buf = le.AppendUint64(buf, e.Key.Ino)
		buf = le.AppendUint64(buf, e.Key.Dev)
		buf = append(buf, e.MD5[:]...)
		buf = append(buf, e.SHA1[:]...)
		buf = append(buf, e.SHA256[:]...)
		buf = append(buf, e.SHA512[:]...)
	}
	return buf
}

// save writes the cache if it changed, leaving out files that are gone.
func (c *statCache) save() error {
	if !c.dirty || c.file == "" {
		return nil
	}
	for p := range c.entries {
		if c.used[p] {
			continue
		}
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			delete(c.entries, p)
		}
	}
	if err := os.MkdirAll(filepath.Dir(c.file), 0o755); err != nil {
		return fmt.Errorf("stat cache: %w", err)
	}
	if err := atomicfile.Write(c.file, bytes.NewReader(encodeStats(c.entries)), 0o644); err != nil {
		return fmt.Errorf("stat cache: %w", err)
	}
	c.dirty = false
	return nil
}

func (r *Resolver) statCache() *statCache {
	r.statOnce.Do(func() {
		c := loadStatCache(r.opts.CacheDir)
		r.statMu.Lock()
		r.stats = c
		r.statMu.Unlock()
	})
	return r.stats
}

// statLookup returns the remembered digests of the file at path, if its stat
// data fi is unchanged since they were taken.
func (r *Resolver) statLookup(path string, fi fs.FileInfo) (digest.Set, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return digest.Set{}, false
	}
	c := r.statCache()
	r.statMu.Lock()
	e, ok := c.entries[abs]
	if ok && e.Key == statKeyOf(fi) {
		c.used[abs] = true
	} else {
		ok = false
	}
	r.statMu.Unlock()
	if !ok {
		return digest.Set{}, false
	}
	return digest.Set{
		Size:   fi.Size(),
		MD5:    hex.EncodeToString(e.MD5[:]),
		SHA1:   hex.EncodeToString(e.SHA1[:]),
		SHA256: hex.EncodeToString(e.SHA256[:]),
		SHA512: hex.EncodeToString(e.SHA512[:]),
	}, true
}

// statStore remembers d as the digests of the file at path with stat data
// fi, hashed from time start on; a zero start means the file never changes.
func (r *Resolver) statStore(path string, fi fs.FileInfo, d digest.Set, start time.Time) {
	if !start.IsZero() && !fi.ModTime().Before(start.Add(-racyWindow)) {
		return
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	e := statEntry{Key: statKeyOf(fi)}
	for _, h := range []struct {
		dst []byte
		hex string
	}{{e.MD5[:], d.MD5}, {e.SHA1[:], d.SHA1}, {e.SHA256[:], d.SHA256}, {e.SHA512[:], d.SHA512}} {
		if n, err := hex.Decode(h.dst, []byte(h.hex)); err != nil || n != len(h.dst) {
			return
		}
	}
	c := r.statCache()
	r.statMu.Lock()
	c.entries[abs] = e
	c.used[abs] = true
	c.dirty = true
	r.statMu.Unlock()
}
