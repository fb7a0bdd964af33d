package artifact

import (
	"context"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
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

// statFile is the stat cache's file in the cache folder.
const (
	statFile    = "stat.gob"
	statVersion = 1
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

type statFileData struct {
	Version int
	Entries map[string]statEntry
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
	f, err := os.Open(c.file)
	if err != nil {
		return c
	}
	defer f.Close()
	var data statFileData
	// A cache that cannot be read is rebuilt, never an error.
	if err := gob.NewDecoder(f).Decode(&data); err == nil && data.Version == statVersion && data.Entries != nil {
		c.entries = data.Entries
	}
	return c
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
	f, err := os.CreateTemp(filepath.Dir(c.file), ".stat-*")
	if err != nil {
		return fmt.Errorf("stat cache: %w", err)
	}
	defer os.Remove(f.Name())
	err = gob.NewEncoder(f).Encode(statFileData{Version: statVersion, Entries: c.entries})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.file)
	}
	if err != nil {
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
