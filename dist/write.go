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
	"sort"

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
	want := map[string]bool{}
	for _, f := range t.Files() {
		want[filepath.FromSlash(f.Path)] = true
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		changed, err := writeFile(dst, f)
		if err != nil {
			return st, fmt.Errorf("write %s: %w", f.Path, err)
		}
		if changed {
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

// linkArtifact places an artifact. An existing file of the right size is
// kept: artifacts are immutable and were verified on the way in.
func linkArtifact(dst string, f *File) (bool, error) {
	if st, err := os.Stat(dst); err == nil && st.Mode().IsRegular() && st.Size() == f.Size {
		if src, err := os.Stat(f.Source); err == nil && os.SameFile(src, st) {
			return false, nil
		}
		if sum, err := fileSHA256(dst); err == nil && sum == f.SHA256 {
			return false, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, err
	}
	tmp := dst + ".tmp-link"
	os.Remove(tmp)
	if err := os.Link(f.Source, tmp); err == nil {
		return true, os.Rename(tmp, dst)
	}
	src, err := os.Open(f.Source)
	if err != nil {
		return false, err
	}
	defer src.Close()
	return true, atomicfile.Write(dst, src, 0o644)
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
