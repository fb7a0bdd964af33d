// Package source says where a build reads the registry repository from: the
// working tree on disk, or one commit read straight from Git's object store.
package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Snapshot is one readable state of the registry repository.
type Snapshot struct {
	// FS is the registry repository root. It implements fs.ReadFileFS,
	// fs.ReadDirFS and fs.StatFS and is safe for concurrent use.
	FS fs.FS
	// Dir is the working-tree directory when reading a working tree, "" when
	// reading from Git objects.
	Dir string
	// Commit is the full commit hash, "" for a working tree.
	Commit string
	// Time is the committer time of the commit, zero for a working tree.
	Time time.Time

	close func() error
}

// Close releases the pack files a commit snapshot keeps open. The FS must not
// be used afterwards.
func (s *Snapshot) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

const (
	// largeBlob is the size above which a blob is streamed from its pack or
	// loose file rather than inflated into memory at once.
	largeBlob = 1 << 20
	// openPacks bounds the pack files kept open between reads; reopening a
	// pack for every object would make reads several times slower.
	openPacks = 32
)

// Open returns the working tree at dir when rev is "", otherwise the commit
// that rev names (branch, tag, hash or prefix, HEAD~1, ...) in the Git
// repository at or above dir, which may be bare. A commit is read from the
// object store: nothing is checked out and no temporary files are written.
func Open(dir, rev string) (*Snapshot, error) {
	if rev == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("working tree %s: %w", dir, err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("working tree: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("working tree %s: not a directory", dir)
		}
		return &Snapshot{FS: os.DirFS(abs), Dir: abs}, nil
	}

	repo, closeRepo, err := OpenRepository(dir)
	if err != nil {
		return nil, fmt.Errorf("git repository %s: %w", dir, err)
	}
	snap, err := openCommit(repo, dir, rev)
	if err != nil {
		closeRepo()
		return nil, err
	}
	g := snap.FS.(*gitFS)
	snap.close = func() error {
		g.objMu.Lock()
		defer g.objMu.Unlock()
		return closeRepo()
	}
	return snap, nil
}

func openCommit(repo *git.Repository, dir, rev string) (*Snapshot, error) {
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if errors.Is(err, io.EOF) {
		// go-git's answer to HEAD~N past the first commit.
		err = errors.New("no such ancestor")
	}
	if err != nil {
		return nil, fmt.Errorf("git repository %s: revision %q: %w", dir, rev, err)
	}
	commit, err := repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("revision %q (%s) in %s: %w", rev, h, dir, err)
	}
	gfs, err := newGitFS(repo.Storer, commit.TreeHash, commit.Committer.When)
	if err != nil {
		return nil, fmt.Errorf("revision %q (%s) in %s: %w", rev, h, dir, err)
	}
	return &Snapshot{FS: gfs, Commit: h.String(), Time: commit.Committer.When}, nil
}

// OpenRepository opens a bare repository at dir, or the checkout containing
// dir, and returns a function that closes its open files.
func OpenRepository(dir string) (*git.Repository, func() error, error) {
	opts := &git.PlainOpenOptions{EnableDotGitCommonDir: true}
	// Without detection first: searching upward from a bare repository would
	// never find a .git folder.
	repo, err := git.PlainOpenWithOptions(dir, opts)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		opts.DetectDotGit = true
		repo, err = git.PlainOpenWithOptions(dir, opts)
	}
	if err != nil {
		return nil, nil, err
	}
	st, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return repo, func() error { return nil }, nil
	}
	// Reopen the same object store so that large blobs stream from their own
	// file instead of being inflated into memory, and so that the list of
	// packs is read once rather than on every object lookup.
	st = filesystem.NewStorageWithOptions(st.Filesystem(), cache.NewObjectLRUDefault(), filesystem.Options{
		ExclusiveAccess:      true,
		MaxOpenDescriptors:   openPacks,
		LargeObjectThreshold: largeBlob,
	})
	repo, err = git.Open(st, nil)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return repo, st.Close, nil
}
