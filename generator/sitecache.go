package generator

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/stockpile/stockpile/internal/atomicfile"
)

// pageCacheMagic begins a page pack file; a change of layout changes it.
const pageCacheMagic = "stockpile site pages v1\n"

// pageCache is site.Cache on disk: one pack file of rendered pages, read
// whole when the site step starts and rewritten when it ends with only the
// pages that build used, so pages of removed or changed packages go away.
// A pack written by another executable is not used: the Go code that
// renders pages is part of what they depend on.
type pageCache struct {
	file string
	salt [32]byte

	mu     sync.Mutex
	pages  map[[32]byte][]byte
	used   map[[32]byte]bool
	hits   int
	added  int
	stale  bool // the file on disk is not what pages holds
	loaded int  // entries read from the file
}

// openPageCache reads the pack at file, if any. A pack that is missing,
// damaged or from another executable gives an empty cache.
func openPageCache(file string) (*pageCache, error) {
	salt, err := executableSum()
	if err != nil {
		return nil, fmt.Errorf("site page cache: %w", err)
	}
	c := &pageCache{file: file, salt: salt, pages: map[[32]byte][]byte{}, used: map[[32]byte]bool{}}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		c.stale = true
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("site page cache: %w", err)
	}
	if !c.parse(data) {
		clear(c.pages)
		c.stale = true
	}
	c.loaded = len(c.pages)
	return c, nil
}

// parse reads the pack: magic, salt, then per page its key, its length as
// a uvarint and its bytes. Pages are slices of data, not copies.
func (c *pageCache) parse(data []byte) bool {
	head := len(pageCacheMagic) + len(c.salt)
	if len(data) < head || string(data[:len(pageCacheMagic)]) != pageCacheMagic || !bytes.Equal(data[len(pageCacheMagic):head], c.salt[:]) {
		return false
	}
	for rest := data[head:]; len(rest) > 0; {
		if len(rest) < 32 {
			return false
		}
		key := [32]byte(rest[:32])
		n, w := binary.Uvarint(rest[32:])
		if w <= 0 || n > uint64(len(rest)-32-w) {
			return false
		}
		start := 32 + w
		end := start + int(n)
		c.pages[key] = rest[start:end:end]
		rest = rest[end:]
	}
	return true
}

func (c *pageCache) Get(key [32]byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pages[key]
	if ok {
		c.used[key] = true
		c.hits++
	}
	return p, ok
}

func (c *pageCache) Put(key [32]byte, page []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pages[key]; !ok {
		c.added++
	}
	c.pages[key] = page
	c.used[key] = true
}

// save writes the pages used since open, replacing the pack, unless it
// holds those already.
func (c *pageCache) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stale && c.added == 0 && len(c.used) == c.loaded {
		return nil
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		pw.CloseWithError(c.writeTo(pw))
		close(done)
	}()
	err := atomicfile.Write(c.file, pr, 0o644)
	pr.CloseWithError(err) // stops writeTo if Write gave up early
	<-done
	return err
}

func (c *pageCache) writeTo(f io.Writer) error {
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(pageCacheMagic)
	w.Write(c.salt[:])
	var n [binary.MaxVarintLen64]byte
	for key := range c.used {
		page := c.pages[key]
		w.Write(key[:])
		w.Write(n[:binary.PutUvarint(n[:], uint64(len(page)))])
		w.Write(page)
	}
	return w.Flush() // bufio keeps the first write error
}

// executableSum is the sha256 of the running executable.
func executableSum() ([32]byte, error) {
	exe, err := os.Executable()
	if err != nil {
		return [32]byte{}, err
	}
	f, err := os.Open(exe)
	if err != nil {
		return [32]byte{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return [32]byte{}, err
	}
	return [32]byte(h.Sum(nil)), nil
}
