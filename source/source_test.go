package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
)

var epoch = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func sig(n int) *object.Signature {
	return &object.Signature{Name: "Test", Email: "test@example.com", When: epoch.Add(time.Duration(n) * time.Hour)}
}

// file is one file of a commit built by commitFiles.
type file struct {
	data string
	mode filemode.FileMode // 0 means a regular file
}

// commitFiles writes a commit holding exactly files straight into the object
// store of repo (bare or not) and points branch at it.
func commitFiles(t testing.TB, repo *git.Repository, branch string, n int, files map[string]file, parents ...plumbing.Hash) plumbing.Hash {
	t.Helper()
	root, err := writeTree(repo, files)
	if err != nil {
		t.Fatal(err)
	}
	c := &object.Commit{Author: *sig(n), Committer: *sig(n), Message: fmt.Sprintf("commit %d\n", n), TreeHash: root, ParentHashes: parents}
	obj := repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		t.Fatal(err)
	}
	h, err := repo.Storer.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName(branch), h)); err != nil {
		t.Fatal(err)
	}
	return h
}

func writeTree(repo *git.Repository, files map[string]file) (plumbing.Hash, error) {
	sub := map[string]map[string]file{}
	var entries []object.TreeEntry
	for name, f := range files {
		if dir, rest, ok := strings.Cut(name, "/"); ok {
			if sub[dir] == nil {
				sub[dir] = map[string]file{}
			}
			sub[dir][rest] = f
			continue
		}
		obj := repo.Storer.NewEncodedObject()
		obj.SetType(plumbing.BlobObject)
		w, err := obj.Writer()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		io.WriteString(w, f.data)
		w.Close()
		h, err := repo.Storer.SetEncodedObject(obj)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		mode := f.mode
		if mode == 0 {
			mode = filemode.Regular
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: mode, Hash: h})
	}
	for dir, files := range sub {
		h, err := writeTree(repo, files)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
	}
	// Git's order: a folder sorts as if its name ended in "/".
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	obj := repo.Storer.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return repo.Storer.SetEncodedObject(obj)
}

// checkout makes a normal repository with three commits on master made
// through the worktree, a branch, a lightweight and an annotated tag.
func checkout(t *testing.T) (dir string, commits []plumbing.Hash) {
	t.Helper()
	dir = t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3; i++ {
		write("repos.yaml", fmt.Sprintf("version %d\n", i))
		write(fmt.Sprintf("packages/apt/pkg%d.yaml", i), fmt.Sprintf("file: pkg%d.deb\n", i))
		write("blobs/apt/deep/nested/x.deb", strings.Repeat("x", i))
		if _, err := wt.Add("."); err != nil {
			t.Fatal(err)
		}
		h, err := wt.Commit(fmt.Sprintf("commit %d", i), &git.CommitOptions{Author: sig(i), Committer: sig(i)})
		if err != nil {
			t.Fatal(err)
		}
		commits = append(commits, h)
		switch i {
		case 1:
			if _, err := repo.CreateTag("v1", h, nil); err != nil {
				t.Fatal(err)
			}
		case 2:
			if _, err := repo.CreateTag("v2", h, &git.CreateTagOptions{Tagger: sig(i), Message: "release 2"}); err != nil {
				t.Fatal(err)
			}
			if err := repo.Storer.SetReference(plumbing.NewHashReference("refs/heads/feature", h)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Uncommitted changes must not be visible through a revision.
	write("repos.yaml", "dirty\n")
	return dir, commits
}

func TestOpenWorkingTree(t *testing.T) {
	dir, _ := checkout(t)
	s, err := Open(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Dir != dir || s.Commit != "" || !s.Time.IsZero() {
		t.Errorf("Open(%q, \"\") = Dir %q, Commit %q, Time %v; want Dir %q and no commit", dir, s.Dir, s.Commit, s.Time, dir)
	}
	got, err := fs.ReadFile(s.FS, "repos.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "dirty\n" {
		t.Errorf("repos.yaml = %q, want the working tree's %q", got, "dirty\n")
	}

	rel, err := filepath.Rel(mustGetwd(t), dir)
	if err == nil {
		s, err := Open(rel, "")
		if err != nil {
			t.Fatal(err)
		}
		if s.Dir != dir {
			t.Errorf("Open(%q).Dir = %q, want absolute %q", rel, s.Dir, dir)
		}
	}

	if _, err := Open(filepath.Join(dir, "repos.yaml"), ""); err == nil {
		t.Error("Open(a file) succeeded, want an error")
	}
	if _, err := Open(filepath.Join(dir, "missing"), ""); err == nil {
		t.Error("Open(missing folder) succeeded, want an error")
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

func TestOpenRevision(t *testing.T) {
	dir, commits := checkout(t)
	tests := []struct {
		rev  string
		want int // index into commits
	}{
		{"HEAD", 2},
		{"master", 2},
		{"refs/heads/master", 2},
		{"HEAD~1", 1},
		{"HEAD^", 1},
		{"master~2", 0},
		{"feature", 1},
		{"v1", 0},
		{"v2", 1}, // annotated: peeled to its commit
		{"refs/tags/v2", 1},
		{commits[0].String(), 0},
		{commits[1].String()[:7], 1},
	}
	for _, tt := range tests {
		t.Run(tt.rev, func(t *testing.T) {
			s, err := Open(dir, tt.rev)
			if err != nil {
				t.Fatal(err)
			}
			want := commits[tt.want]
			if s.Commit != want.String() {
				t.Errorf("Open(%q).Commit = %s, want %s", tt.rev, s.Commit, want)
			}
			if s.Dir != "" {
				t.Errorf("Open(%q).Dir = %q, want \"\"", tt.rev, s.Dir)
			}
			if wantTime := sig(tt.want + 1).When; !s.Time.Equal(wantTime) {
				t.Errorf("Open(%q).Time = %v, want %v", tt.rev, s.Time, wantTime)
			}
			got, err := fs.ReadFile(s.FS, "repos.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if w := fmt.Sprintf("version %d\n", tt.want+1); string(got) != w {
				t.Errorf("repos.yaml = %q, want %q", got, w)
			}
			names, err := fs.Glob(s.FS, "packages/apt/*.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if len(names) != tt.want+1 {
				t.Errorf("manifests = %q, want %d", names, tt.want+1)
			}
			x, err := fs.ReadFile(s.FS, "blobs/apt/deep/nested/x.deb")
			if err != nil {
				t.Fatal(err)
			}
			if len(x) != tt.want+1 {
				t.Errorf("x.deb has %d bytes, want %d", len(x), tt.want+1)
			}
		})
	}
}

func TestOpenFromSubfolder(t *testing.T) {
	dir, commits := checkout(t)
	s, err := Open(filepath.Join(dir, "packages", "apt"), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if s.Commit != commits[2].String() {
		t.Errorf("Commit = %s, want %s", s.Commit, commits[2])
	}
	// The FS is the repository root, not the folder Open was given.
	if _, err := fs.Stat(s.FS, "repos.yaml"); err != nil {
		t.Error(err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir, _ := checkout(t)
	for _, rev := range []string{"no-such-branch", "v9", "deadbeef", "HEAD~5"} {
		t.Run(rev, func(t *testing.T) {
			_, err := Open(dir, rev)
			if err == nil {
				t.Fatalf("Open(%q) succeeded, want an error", rev)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", rev)) {
				t.Errorf("Open(%q) error %q does not name the revision", rev, err)
			}
		})
	}
	t.Run("not a repository", func(t *testing.T) {
		if _, err := Open(t.TempDir(), "HEAD"); err == nil {
			t.Fatal("Open(empty folder, HEAD) succeeded, want an error")
		}
	})
}

// bare makes a bare repository with two commits, packed (with deltas) when
// pack is set. Both commits hold a blob larger than largeBlob.
func bare(t testing.TB, pack bool) (dir string, files map[string]file) {
	t.Helper()
	dir = t.TempDir()
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), (largeBlob+4096)/16)
	files = map[string]file{
		"repos.yaml":              {data: "one\n"},
		"blobs/apt/big.deb":       {data: string(big)},
		"blobs/npm/a/b/c/d.tgz":   {data: "nested"},
		"keys/key.asc":            {data: "key"},
		"bin/tool":                {data: "#!/bin/sh\n", mode: filemode.Executable},
		"empty":                   {data: ""},
		"packages/apt/x.yaml":     {data: "file: x.deb\n"},
		"packages/apt/sub/y.yaml": {data: "file: y.deb\n"},
	}
	c1 := commitFiles(t, repo, "main", 1, files)
	files2 := map[string]file{}
	for k, v := range files {
		files2[k] = v
	}
	big[100] = 'X'
	files2["blobs/apt/big.deb"] = file{data: string(big)}
	files2["repos.yaml"] = file{data: "two\n"}
	commitFiles(t, repo, "main", 2, files2, c1)
	if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/main")); err != nil {
		t.Fatal(err)
	}
	if pack {
		if err := repo.RepackObjects(&git.RepackConfig{}); err != nil {
			t.Fatal(err)
		}
		loose, _ := filepath.Glob(filepath.Join(dir, "objects", "??", "*"))
		packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
		if len(loose) != 0 || len(packs) != 1 {
			t.Fatalf("after repack: %d loose objects, %d packs; want 0 and 1", len(loose), len(packs))
		}
	}
	return dir, files2
}

func TestOpenBare(t *testing.T) {
	for _, pack := range []bool{false, true} {
		t.Run(fmt.Sprintf("packed=%v", pack), func(t *testing.T) {
			dir, files := bare(t, pack)
			for _, rev := range []string{"main", "HEAD"} {
				s, err := Open(dir, rev)
				if err != nil {
					t.Fatal(err)
				}
				for name, f := range files {
					got, err := fs.ReadFile(s.FS, name)
					if err != nil {
						t.Fatal(err)
					}
					if string(got) != f.data {
						t.Errorf("ReadFile(%q) = %d bytes, want %d (content differs)", name, len(got), len(f.data))
					}
					// Streaming through Open gives the same bytes.
					fh, err := s.FS.Open(name)
					if err != nil {
						t.Fatal(err)
					}
					got, err = io.ReadAll(fh)
					fh.Close()
					if err != nil {
						t.Fatal(err)
					}
					if string(got) != f.data {
						t.Errorf("Open(%q) read %d bytes, want %d (content differs)", name, len(got), len(f.data))
					}
				}
			}
			s, err := Open(dir, "HEAD~1")
			if err != nil {
				t.Fatal(err)
			}
			got, err := fs.ReadFile(s.FS, "repos.yaml")
			if err != nil || string(got) != "one\n" {
				t.Errorf("HEAD~1: repos.yaml = %q, %v; want %q", got, err, "one\n")
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

func TestFS(t *testing.T) {
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	commitFiles(t, repo, "main", 1, map[string]file{
		"repos.yaml":                       {data: "repositories: []\n"},
		"packages/apt/hello.yaml":          {data: "file: hello.deb\n"},
		"packages/apt/nested/deeper/x.yml": {data: "x"},
		"packages/apt-extra/y.yaml":        {data: "y"}, // sorts between apt and apt/ in Git's order
		"packages/apt.yaml":                {data: "z"},
		"blobs/apt/hello_1.0_all.deb":      {data: "!<arch>\n"},
		"bin/run":                          {data: "#!/bin/sh\n", mode: filemode.Executable},
		"empty":                            {data: ""},
		"link-to-file":                     {data: "repos.yaml", mode: filemode.Symlink},
		"link-to-dir":                      {data: "packages/apt", mode: filemode.Symlink},
		"packages/up":                      {data: "../blobs", mode: filemode.Symlink},
	})
	s, err := Open(dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(s.FS,
		"repos.yaml", "packages/apt/hello.yaml", "packages/apt/nested/deeper/x.yml",
		"packages/apt-extra/y.yaml", "packages/apt.yaml", "blobs/apt/hello_1.0_all.deb",
		"bin/run", "empty", "link-to-file", "link-to-dir"); err != nil {
		t.Fatal(err)
	}

	t.Run("metadata", func(t *testing.T) {
		tests := []struct {
			name string
			mode fs.FileMode
			size int64
		}{
			{".", fs.ModeDir | 0o755, 0},
			{"repos.yaml", 0o644, 17},
			{"bin/run", 0o755, 10},
			{"empty", 0o644, 0},
			{"link-to-file", 0o644, 17},
			{"link-to-dir", fs.ModeDir | 0o755, 0},
			{"link-to-dir/nested/deeper/x.yml", 0o644, 1},
			{"packages/up/apt/hello_1.0_all.deb", 0o644, 8},
		}
		for _, tt := range tests {
			fi, err := fs.Stat(s.FS, tt.name)
			if err != nil {
				t.Errorf("Stat(%q): %v", tt.name, err)
				continue
			}
			if fi.Mode() != tt.mode || fi.Size() != tt.size || !fi.ModTime().Equal(s.Time) || fi.Name() != path.Base(tt.name) {
				t.Errorf("Stat(%q) = %s %v %d %v, want %s %v %d %v", tt.name, fi.Name(), fi.Mode(), fi.Size(), fi.ModTime(), path.Base(tt.name), tt.mode, tt.size, s.Time)
			}
		}
		rl := s.FS.(fs.ReadLinkFS)
		fi, err := rl.Lstat("link-to-dir")
		if err != nil || fi.Mode() != fs.ModeSymlink|0o777 {
			t.Errorf("Lstat(link-to-dir) = %v, %v; want a symbolic link", fi, err)
		}
		target, err := rl.ReadLink("link-to-dir")
		if err != nil || target != "packages/apt" {
			t.Errorf("ReadLink(link-to-dir) = %q, %v; want %q", target, err, "packages/apt")
		}
		if _, err := rl.ReadLink("repos.yaml"); err == nil {
			t.Error("ReadLink(repos.yaml) succeeded, want an error")
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name string
			want error
		}{
			{"missing", fs.ErrNotExist},
			{"packages/missing/x", fs.ErrNotExist},
			{"repos.yaml/x", fs.ErrNotExist},
			{"/repos.yaml", fs.ErrInvalid},
			{"packages/../repos.yaml", fs.ErrInvalid},
			{"./repos.yaml", fs.ErrInvalid},
		}
		for _, tt := range tests {
			if _, err := s.FS.Open(tt.name); !errors.Is(err, tt.want) {
				t.Errorf("Open(%q) error = %v, want %v", tt.name, err, tt.want)
			}
			if _, err := fs.ReadFile(s.FS, tt.name); !errors.Is(err, tt.want) {
				t.Errorf("ReadFile(%q) error = %v, want %v", tt.name, err, tt.want)
			}
			if _, err := fs.Stat(s.FS, tt.name); !errors.Is(err, tt.want) {
				t.Errorf("Stat(%q) error = %v, want %v", tt.name, err, tt.want)
			}
		}
		if _, err := fs.ReadFile(s.FS, "packages"); err == nil {
			t.Error("ReadFile(a folder) succeeded, want an error")
		}
		if _, err := fs.ReadDir(s.FS, "repos.yaml"); err == nil {
			t.Error("ReadDir(a file) succeeded, want an error")
		}
	})

	t.Run("readdir", func(t *testing.T) {
		entries, err := fs.ReadDir(s.FS, "packages")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, fs.FormatDirEntry(e))
		}
		want := []string{"d apt/", "d apt-extra/", "- apt.yaml", "L up"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ReadDir(packages) (-want +got):\n%s", diff)
		}
	})
}

func TestSymlinkLimits(t *testing.T) {
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	commitFiles(t, repo, "main", 1, map[string]file{
		"a":       {data: "b", mode: filemode.Symlink},
		"b":       {data: "a", mode: filemode.Symlink},
		"escape":  {data: "../outside", mode: filemode.Symlink},
		"abs":     {data: "/etc/passwd", mode: filemode.Symlink},
		"self":    {data: ".", mode: filemode.Symlink},
		"long":    {data: strings.Repeat("d/", 3000) + "x", mode: filemode.Symlink},
		"d/x":     {data: "x"},
		"d/again": {data: "../d", mode: filemode.Symlink},
	})
	s, err := Open(dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "escape", "abs", "a/x", "long"} {
		if _, err := fs.ReadFile(s.FS, name); err == nil {
			t.Errorf("ReadFile(%q) succeeded, want an error", name)
		}
	}
	for _, name := range []string{"self/d/x", "d/again/again/x"} {
		got, err := fs.ReadFile(s.FS, name)
		if err != nil || string(got) != "x" {
			t.Errorf("ReadFile(%q) = %q, %v; want %q", name, got, err, "x")
		}
	}
}

// manyFiles makes a packed bare repository with n small files spread over
// folders.
func manyFiles(t testing.TB, n int) (dir string, want map[string]string) {
	t.Helper()
	dir = t.TempDir()
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]file{}
	want = map[string]string{}
	for i := range n {
		name := fmt.Sprintf("packages/r%d/p%d/m%05d.yaml", i%7, i%97, i)
		data := fmt.Sprintf("file: pkg%d.deb\nsha256: %064d\nsize: %d\n", i, i, i)
		files[name] = file{data: data}
		want[name] = data
	}
	commitFiles(t, repo, "main", 1, files)
	if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/main")); err != nil {
		t.Fatal(err)
	}
	if err := repo.RepackObjects(&git.RepackConfig{}); err != nil {
		t.Fatal(err)
	}
	return dir, want
}

func TestConcurrentReads(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 300
	}
	dir, want := manyFiles(t, n)
	s, err := Open(dir, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)

	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker walks the names from a different start so that
			// trees and blobs are first loaded by different goroutines.
			for i := range names {
				name := names[(i+w*len(names)/workers)%len(names)]
				var got []byte
				var err error
				switch i % 3 {
				case 0:
					got, err = fs.ReadFile(s.FS, name)
				case 1:
					var f fs.File
					if f, err = s.FS.Open(name); err == nil {
						got, err = io.ReadAll(f)
						f.Close()
					}
				case 2:
					var fi fs.FileInfo
					if fi, err = fs.Stat(s.FS, name); err == nil && fi.Size() != int64(len(want[name])) {
						err = fmt.Errorf("Stat(%q).Size() = %d, want %d", name, fi.Size(), len(want[name]))
					}
					got = []byte(want[name])
				}
				if err == nil && string(got) != want[name] {
					err = fmt.Errorf("%s: got %q, want %q", name, got, want[name])
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConcurrentLargeBlobs(t *testing.T) {
	for _, pack := range []bool{false, true} {
		t.Run(fmt.Sprintf("packed=%v", pack), func(t *testing.T) {
			dir, files := bare(t, pack)
			s, err := Open(dir, "main")
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for name, f := range files {
						fh, err := s.FS.Open(name)
						if err != nil {
							t.Error(err)
							return
						}
						got, err := io.ReadAll(fh)
						fh.Close()
						if err != nil || string(got) != f.data {
							t.Errorf("%s: %d bytes, %v; want %d bytes", name, len(got), err, len(f.data))
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// BenchmarkReadFiles reads 10,000 small files of a packed repository from
// several goroutines, each iteration on a freshly opened snapshot so that
// nothing is cached.
func BenchmarkReadFiles(b *testing.B) {
	dir, want := manyFiles(b, 10000)
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	for _, workers := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("goroutines=%d", workers), func(b *testing.B) {
			for b.Loop() {
				s, err := Open(dir, "HEAD")
				if err != nil {
					b.Fatal(err)
				}
				var wg sync.WaitGroup
				next := make(chan string)
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for name := range next {
							if _, err := fs.ReadFile(s.FS, name); err != nil {
								b.Error(err)
							}
						}
					}()
				}
				for _, name := range names {
					next <- name
				}
				close(next)
				wg.Wait()
				s.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(names)), "ns/file")
		})
	}
}
