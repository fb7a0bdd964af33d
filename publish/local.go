package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Local is a store in a local folder, e.g. the document root of a web
// server. Writes go through a temporary file (".tmp-*", which serve hides)
// renamed into place, so readers never see a partial file.
type Local struct {
	root string
}

var _ Store = (*Local)(nil)

// NewLocal returns the store rooted at dir; the folder is made on first write.
func NewLocal(dir string) *Local { return &Local{root: dir} }

func (l *Local) path(key string) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("invalid key %q", key)
	}
	return filepath.Join(l.root, filepath.FromSlash(key)), nil
}

func (l *Local) List(ctx context.Context, prefix string) ([]Object, error) {
	// Walk only the deepest folder the prefix names.
	start := l.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = filepath.Join(l.root, filepath.FromSlash(prefix[:i]))
	}
	var out []Object
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return ctx.Err()
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, Object{Key: key, Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", l.root, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Stat hashes the file: a local read is cheap enough for the few objects
// whose sha256 a publish does not already know.
func (l *Local) Stat(ctx context.Context, key string) (Object, error) {
	f, err := l.Get(ctx, key)
	if err != nil {
		return Object{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Object{}, fmt.Errorf("read %s: %w", key, err)
	}
	return Object{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: %w", key, ErrNotExist)
	}
	return f, nil
}

func (l *Local) Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts PutOptions) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), io.NewSectionReader(body, 0, size))
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); opts.SHA256 != "" && got != opts.SHA256 {
		return fmt.Errorf("write %s: the bytes read have sha256 %s, not %s", key, got, opts.SHA256)
	}
	if opts.IfNoneMatch {
		// A hard link never replaces an existing file: an atomic create.
		if err := os.Link(tmp.Name(), p); errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists: %w", key, ErrPrecondition)
		} else if err != nil {
			return err
		}
		return nil
	}
	return os.Rename(tmp.Name(), p)
}

func (l *Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// Drop folders left empty, as an object store has none.
	for dir := path.Dir(key); dir != "."; dir = path.Dir(dir) {
		if os.Remove(filepath.Join(l.root, filepath.FromSlash(dir))) != nil {
			break
		}
	}
	return nil
}
