package dist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/stockpile/stockpile/internal/atomicfile"
)

// WriteStats counts what Write did.
type WriteStats struct {
	Written   int // files whose bytes changed or were new
	Unchanged int
	Removed   int
}

// Write makes dir hold exactly the tree. Only files whose bytes changed are
// written (many small writes are slow, and unchanged mtimes keep caches warm);
// artifacts are hard-linked from their verified local copy when possible;
// files that are no longer in the tree are removed.
func Write(dir string, t *Tree) (WriteStats, error) {
	var st WriteStats
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, err
	}
	files := t.Files()
	want := make(map[string]bool, len(files))
	for _, f := range files {
		want[filepath.FromSlash(f.Path)] = true
	}
	// Mostly file-system calls: a few workers per core keep the disk busy.
	changed := make([]bool, len(files))
	errs := make([]error, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 4*runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f := files[i]
				changed[i], errs[i] = writeFile(filepath.Join(dir, filepath.FromSlash(f.Path)), f)
				if errs[i] != nil {
					errs[i] = fmt.Errorf("write %s: %w", f.Path, errs[i])
				}
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return st, err
	}
	for _, c := range changed {
		if c {
			st.Written++
		} else {
			st.Unchanged++
		}
	}
	removed, err := removeOthers(dir, want)
	st.Removed = removed
	return st, err
}

func writeFile(dst string, f *File) (bool, error) {
	if f.Data == nil {
		return linkArtifact(dst, f)
	}
	if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, f.Data) {
		return false, nil
	}
	return true, atomicfile.Write(dst, bytes.NewReader(f.Data), 0o644)
}

// linkArtifact places an artifact, hard-linked from its verified copy when
// the file system allows, copied otherwise. An existing file with the same
// bytes is kept: artifacts are immutable and were verified on the way in.
func linkArtifact(dst string, f *File) (bool, error) {
	err := os.Link(f.Source, dst)
	if errors.Is(err, fs.ErrNotExist) {
		if mkErr := os.MkdirAll(filepath.Dir(dst), 0o755); mkErr != nil {
			return false, mkErr
		}
		err = os.Link(f.Source, dst)
	}
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrExist) {
		if same, _ := sameArtifact(dst, f); same {
			return false, nil
		}
		tmp := dst + ".tmp-link"
		os.Remove(tmp)
		if os.Link(f.Source, tmp) == nil {
			return true, os.Rename(tmp, dst)
		}
	}
	// Another file system, or no hard links: copy.
	src, err := os.Open(f.Source)
	if err != nil {
		return false, err
	}
	defer src.Close()
	return true, atomicfile.Write(dst, src, 0o644)
}

// sameArtifact reports whether the file at dst already holds f's bytes.
func sameArtifact(dst string, f *File) (bool, error) {
	st, err := os.Stat(dst)
	if err != nil || !st.Mode().IsRegular() || st.Size() != f.Size {
		return false, err
	}
	if src, err := os.Stat(f.Source); err == nil && os.SameFile(src, st) {
		return true, nil
	}
	sum, err := fileSHA256(dst)
	return sum == f.SHA256, err
}

// removeOthers deletes files under dir that are not wanted, then empty folders.
func removeOthers(dir string, want map[string]bool) (int, error) {
	var stale, dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel != "." {
				dirs = append(dirs, p)
			}
			return nil
		}
		if !want[rel] {
			stale = append(stale, p)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, p := range stale {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
	}
	// Deepest first, so parents empty out after their children.
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		os.Remove(d) // fails, harmlessly, when not empty
	}
	return len(stale), nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
