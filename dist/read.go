package dist

import (
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/stockpile/stockpile/digest"
)

// ReadTree loads a tree that Write left in dir, its files standing for
// themselves as artifacts. Sums come from Write's record (the folder
// belongs to Stockpile, as Write assumes) and are computed for files it does
// not list. skip leaves out paths a caller will make anew.
func ReadTree(dir, record string, skip func(p string) bool) (*Tree, error) {
	prev := readRecord(record)
	type entry struct {
		path, file string
		size       int64
	}
	var entries []entry
	err := WalkFiles(dir, func(p, file string, d fs.DirEntry) error {
		if !d.Type().IsRegular() {
			return nil
		}
		if skip != nil && skip(p) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		entries = append(entries, entry{p, file, info.Size()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	t := NewTree()
	errs := make([]error, len(entries))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				e := entries[i]
				sum, ok := prev[e.path]
				if !ok {
					if sum, errs[i] = digest.FileSHA256(e.file); errs[i] != nil {
						continue
					}
				}
				errs[i] = t.AddArtifact(e.path, e.file, e.size, sum)
			}
		}()
	}
	for i := range entries {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

// WalkFiles calls fn for every entry below dir but folders, with its tree
// path (slash-separated, relative to dir) and its local path. Temporary
// files (".tmp-*", which writers rename into place) and everything in a
// temporary folder are left out.
func WalkFiles(dir string, fn func(p, file string, d fs.DirEntry) error) error {
	return filepath.WalkDir(dir, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, file)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(rel), file, d)
	})
}

// Remove takes the file at p out of the tree, so that it can be made anew.
func (t *Tree) Remove(p string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.files, p)
}
