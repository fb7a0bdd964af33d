package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

const (
	// maxLinks bounds symbolic-link resolution, as the kernel's ELOOP does.
	maxLinks = 40
	// maxLinkLen bounds a link target, as PATH_MAX does.
	maxLinkLen = 4096
)

var (
	errIsDir      = errors.New("is a directory")
	errNotDir     = errors.New("not a directory")
	errNotLink    = errors.New("not a symbolic link")
	errLinkLoop   = errors.New("too many levels of symbolic links")
	errLinkEscape = errors.New("symbolic link points outside the repository")
	errLinkLong   = errors.New("symbolic link target too long")
)

// gitFS is a read-only fs.FS over one Git tree. Every file has the commit's
// time as its modification time.
type gitFS struct {
	objects storer.EncodedObjectStorer
	root    plumbing.Hash
	mtime   time.Time

	// objMu serializes calls into the object store: go-git's file storage
	// keeps pack indexes and file handles in unguarded state. Blob readers
	// are opened under it and read outside it (small blobs are already in
	// memory then, large ones stream from a file of their own).
	objMu sync.Mutex

	mu    sync.RWMutex
	trees map[plumbing.Hash][]entry // decoded trees, sorted by name
	sizes map[plumbing.Hash]int64   // blob sizes
}

var (
	_ fs.ReadFileFS = (*gitFS)(nil)
	_ fs.ReadDirFS  = (*gitFS)(nil)
	_ fs.StatFS     = (*gitFS)(nil)
	_ fs.ReadLinkFS = (*gitFS)(nil)
)

type entry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (e entry) isDir() bool { return e.mode == filemode.Dir }

func newGitFS(objects storer.EncodedObjectStorer, root plumbing.Hash, mtime time.Time) (*gitFS, error) {
	f := &gitFS{
		objects: objects,
		root:    root,
		mtime:   mtime,
		trees:   map[plumbing.Hash][]entry{},
		sizes:   map[plumbing.Hash]int64{},
	}
	if _, err := f.tree(root); err != nil {
		return nil, fmt.Errorf("tree %s: %w", root, err)
	}
	return f, nil
}

// tree returns the entries of the tree object h, sorted by name.
func (f *gitFS) tree(h plumbing.Hash) ([]entry, error) {
	f.mu.RLock()
	list, ok := f.trees[h]
	f.mu.RUnlock()
	if ok {
		return list, nil
	}

	f.objMu.Lock()
	t, err := object.GetTree(f.objects, h)
	f.objMu.Unlock()
	if err != nil {
		return nil, err
	}
	list = make([]entry, 0, len(t.Entries))
	for _, e := range t.Entries {
		// A submodule's commit is not in this repository; names git itself
		// would refuse cannot be addressed through fs.FS.
		if e.Mode == filemode.Submodule || !validName(e.Name) {
			continue
		}
		list = append(list, entry{name: e.Name, mode: e.Mode, hash: e.Hash})
	}
	// Git orders a folder as if its name ended in "/"; fs.FS wants plain
	// name order.
	slices.SortFunc(list, func(a, b entry) int { return strings.Compare(a.name, b.name) })

	f.mu.Lock()
	f.trees[h] = list
	f.mu.Unlock()
	return list, nil
}

func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}

func find(list []entry, name string) (entry, bool) {
	i, ok := slices.BinarySearchFunc(list, name, func(e entry, name string) int { return strings.Compare(e.name, name) })
	if !ok {
		return entry{}, false
	}
	return list[i], true
}

// lookup finds the entry at name, following symbolic links in its folders,
// and in its last element too when follow is set.
func (f *gitFS) lookup(op, name string, follow bool) (entry, error) {
	if !fs.ValidPath(name) {
		return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	root := entry{name: ".", mode: filemode.Dir, hash: f.root}
	cur, curPath, rest := root, ".", name
	if rest == "." {
		rest = ""
	}
	links := 0
	for rest != "" {
		elem, tail, _ := strings.Cut(rest, "/")
		rest = tail
		if !cur.isDir() {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		list, err := f.tree(cur.hash)
		if err != nil {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
		e, ok := find(list, elem)
		if !ok {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if e.mode != filemode.Symlink || (rest == "" && !follow) {
			cur, curPath = e, path.Join(curPath, elem)
			continue
		}
		if links++; links > maxLinks {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: errLinkLoop}
		}
		target, err := f.readLink(e.hash)
		if err != nil {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
		t := string(target)
		if t == "" || path.IsAbs(t) {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: errLinkEscape}
		}
		joined := path.Join(curPath, t)
		if joined == ".." || strings.HasPrefix(joined, "../") {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: errLinkEscape}
		}
		// Resolve the target from the root, then what followed the link.
		switch {
		case joined == ".":
		case rest == "":
			rest = joined
		default:
			rest = joined + "/" + rest
		}
		cur, curPath = root, "."
	}
	return cur, nil
}

// openBlob returns a reader of blob h and its size.
func (f *gitFS) openBlob(h plumbing.Hash) (io.ReadCloser, int64, error) {
	f.objMu.Lock()
	defer f.objMu.Unlock()
	obj, err := f.objects.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, 0, err
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, 0, err
	}
	return r, obj.Size(), nil
}

func (f *gitFS) readBlob(h plumbing.Hash) ([]byte, error) {
	r, size, err := f.openBlob(h)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	if int64(buf.Len()) != size {
		return nil, fmt.Errorf("blob %s: read %d bytes, object header says %d", h, buf.Len(), size)
	}
	return buf.Bytes(), nil
}

// readLink returns the target held by the symbolic-link blob h.
func (f *gitFS) readLink(h plumbing.Hash) ([]byte, error) {
	n, err := f.blobSize(h)
	if err != nil {
		return nil, err
	}
	if n > maxLinkLen {
		return nil, errLinkLong
	}
	return f.readBlob(h)
}

// blobSize returns the size of blob h without reading its content.
func (f *gitFS) blobSize(h plumbing.Hash) (int64, error) {
	f.mu.RLock()
	n, ok := f.sizes[h]
	f.mu.RUnlock()
	if ok {
		return n, nil
	}

	f.objMu.Lock()
	n, err := f.objectSize(h)
	f.objMu.Unlock()
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	f.sizes[h] = n
	f.mu.Unlock()
	return n, nil
}

// objectSize must be called with objMu held.
func (f *gitFS) objectSize(h plumbing.Hash) (int64, error) {
	type sizer interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	}
	if s, ok := f.objects.(sizer); ok {
		if n, err := s.EncodedObjectSize(h); err == nil {
			return n, nil
		}
	}
	obj, err := f.objects.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return 0, err
	}
	return obj.Size(), nil
}

// info describes e under the name base.
func (f *gitFS) info(base string, e entry) (*fileInfo, error) {
	fi := &fileInfo{name: base, mtime: f.mtime}
	switch e.mode {
	case filemode.Dir:
		fi.mode = fs.ModeDir | 0o755
		return fi, nil
	case filemode.Symlink:
		fi.mode = fs.ModeSymlink | 0o777
	case filemode.Executable:
		fi.mode = 0o755
	default:
		fi.mode = 0o644
	}
	n, err := f.blobSize(e.hash)
	if err != nil {
		return nil, err
	}
	fi.size = n
	return fi, nil
}

func (f *gitFS) Open(name string) (fs.File, error) {
	e, err := f.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	fi, err := f.info(path.Base(name), e)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if e.isDir() {
		list, err := f.tree(e.hash)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &dirFile{fs: f, path: name, info: fi, list: list}, nil
	}
	return &blobFile{fs: f, path: name, info: fi, hash: e.hash}, nil
}

func (f *gitFS) ReadFile(name string) ([]byte, error) {
	e, err := f.lookup("readfile", name, true)
	if err != nil {
		return nil, err
	}
	if e.isDir() {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errIsDir}
	}
	data, err := f.readBlob(e.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return data, nil
}

func (f *gitFS) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := f.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !e.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	list, err := f.tree(e.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return f.dirEntries(list), nil
}

func (f *gitFS) dirEntries(list []entry) []fs.DirEntry {
	out := make([]fs.DirEntry, len(list))
	for i, e := range list {
		out[i] = dirEntry{fs: f, e: e}
	}
	return out
}

func (f *gitFS) Stat(name string) (fs.FileInfo, error) {
	return f.stat("stat", name, true)
}

// Lstat describes name without following a final symbolic link.
func (f *gitFS) Lstat(name string) (fs.FileInfo, error) {
	return f.stat("lstat", name, false)
}

func (f *gitFS) stat(op, name string, follow bool) (fs.FileInfo, error) {
	e, err := f.lookup(op, name, follow)
	if err != nil {
		return nil, err
	}
	fi, err := f.info(path.Base(name), e)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return fi, nil
}

// ReadLink returns the target of the symbolic link name.
func (f *gitFS) ReadLink(name string) (string, error) {
	e, err := f.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	if e.mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: errNotLink}
	}
	target, err := f.readLink(e.hash)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(target), nil
}

type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi *fileInfo) ModTime() time.Time { return fi.mtime }
func (fi *fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any           { return nil }

type dirEntry struct {
	fs *gitFS
	e  entry
}

func (d dirEntry) Name() string { return d.e.name }
func (d dirEntry) IsDir() bool  { return d.e.isDir() }

func (d dirEntry) Type() fs.FileMode {
	switch d.e.mode {
	case filemode.Dir:
		return fs.ModeDir
	case filemode.Symlink:
		return fs.ModeSymlink
	}
	return 0
}

func (d dirEntry) Info() (fs.FileInfo, error) {
	fi, err := d.fs.info(d.e.name, d.e)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: d.e.name, Err: err}
	}
	return fi, nil
}

func (d dirEntry) String() string { return fs.FormatDirEntry(d) }

// blobFile streams one blob; its reader is opened on the first Read.
type blobFile struct {
	fs     *gitFS
	path   string
	info   *fileInfo
	hash   plumbing.Hash
	r      io.ReadCloser
	closed bool
}

func (b *blobFile) Stat() (fs.FileInfo, error) { return b.info, nil }

func (b *blobFile) Read(p []byte) (int, error) {
	if b.closed {
		return 0, &fs.PathError{Op: "read", Path: b.path, Err: fs.ErrClosed}
	}
	if b.r == nil {
		r, _, err := b.fs.openBlob(b.hash)
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: b.path, Err: err}
		}
		b.r = r
	}
	return b.r.Read(p)
}

func (b *blobFile) Close() error {
	if b.closed {
		return &fs.PathError{Op: "close", Path: b.path, Err: fs.ErrClosed}
	}
	b.closed = true
	if b.r != nil {
		return b.r.Close()
	}
	return nil
}

type dirFile struct {
	fs     *gitFS
	path   string
	info   *fileInfo
	list   []entry
	off    int
	closed bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }

func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: errIsDir}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: d.path, Err: fs.ErrClosed}
	}
	rest := d.list[d.off:]
	if n > 0 {
		if len(rest) == 0 {
			return nil, io.EOF
		}
		rest = rest[:min(n, len(rest))]
	}
	d.off += len(rest)
	return d.fs.dirEntries(rest), nil
}

func (d *dirFile) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: d.path, Err: fs.ErrClosed}
	}
	d.closed = true
	return nil
}
