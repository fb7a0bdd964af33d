package dist

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/stockpile/stockpile/digest"
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
//
// record, when not "", is a file outside dir where Write notes the sha256 and
// size of every file it leaves in dir. The next Write then takes a file that
// still has the noted size as unchanged without reading it back, and removes
// what left the tree without walking dir: the output folder belongs to
// Stockpile, so nobody else changes it.
func Write(dir string, t *Tree, record string) (WriteStats, error) {
	var st WriteStats
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, err
	}
	files := t.Files()
	prev := readRecord(record)
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
				dst := filepath.Join(dir, filepath.FromSlash(f.Path))
				if prev != nil && prev[f.Path] == f.SHA256 && sizeIs(dst, f.Size) {
					continue
				}
				changed[i], errs[i] = writeFile(dst, f)
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
	var err error
	if prev != nil {
		st.Removed, err = removeListed(dir, prev, t)
	} else {
		want := make(map[string]bool, len(files))
		for _, f := range files {
			want[filepath.FromSlash(f.Path)] = true
		}
		st.Removed, err = removeOthers(dir, want)
	}
	if err != nil {
		return st, err
	}
	if record != "" {
		err = writeRecord(record, files)
	}
	return st, err
}

func sizeIs(p string, size int64) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Size() == size
}

// readRecord returns path → sha256 from a record file, or nil when there is
// none (or it cannot be read, which only costs a slower Write).
func readRecord(record string) map[string]string {
	if record == "" {
		return nil
	}
	data, err := os.ReadFile(record)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		sum, p, ok := strings.Cut(line, " ")
		if ok && len(sum) == 64 {
			out[p] = sum
		}
	}
	return out
}

func writeRecord(record string, files []*File) error {
	var b strings.Builder
	for _, f := range files {
		b.WriteString(f.SHA256 + " " + f.Path + "\n")
	}
	return atomicfile.Write(record, strings.NewReader(b.String()), 0o644)
}

// removeListed removes the files of the previous Write that left the tree,
// and then the folders they leave empty.
func removeListed(dir string, prev map[string]string, t *Tree) (int, error) {
	var stale []string
	for p := range prev {
		if t.Get(p) == nil {
			stale = append(stale, p)
		}
	}
	sort.Strings(stale)
	for _, p := range stale {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
		for d := filepath.Dir(full); d != dir && len(d) > len(dir); d = filepath.Dir(d) {
			if os.Remove(d) != nil { // not empty
				break
			}
		}
	}
	return len(stale), nil
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
	sum, err := digest.FileSHA256(dst)
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
