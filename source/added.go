package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/stockpile/stockpile/internal/atomicfile"
)

// AddedTimes returns when each file below folder (a path relative to the
// registry root, e.g. "packages") entered Git: the committer time of the
// first-parent commit that last added it, so that a file merged through a
// pull request counts from the merge. rev names the commit ("" for HEAD of the
// repository holding the working tree dir); a working tree outside any Git
// repository gives an empty map. Results are cached in cacheDir by commit, and
// a later commit only walks the history the cache does not cover.
func AddedTimes(dir, rev, folder, cacheDir string) (map[string]time.Time, error) {
	added, err := AddedCommits(dir, rev, folder, cacheDir)
	if err != nil {
		return nil, err
	}
	times := make(map[string]time.Time, len(added))
	for p, a := range added {
		times[p] = a.Time
	}
	return times, nil
}

// Added says when, and in which commit, a file entered Git.
type Added struct {
	Time   time.Time `json:"time"`
	Commit string    `json:"commit"` // full hex hash
}

// AddedCommits is AddedTimes with the commit of each time: the provenance
// the browse site shows.
func AddedCommits(dir, rev, folder, cacheDir string) (map[string]Added, error) {
	repo, closeRepo, err := OpenRepository(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) && rev == "" {
		return map[string]Added{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("git repository %s: %w", dir, err)
	}
	defer closeRepo()

	// The registry may sit in a sub-folder of a checkout.
	prefix := folder
	if root := checkoutRoot(dir); root != "" && rev == "" {
		absDir, _ := filepath.Abs(dir)
		if rel, err := filepath.Rel(root, absDir); err == nil && rel != "." {
			prefix = path.Join(filepath.ToSlash(rel), folder)
		}
	}
	if rev == "" {
		rev = "HEAD"
	}
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		if rev == "HEAD" {
			return map[string]Added{}, nil // no commit yet
		}
		return nil, fmt.Errorf("git repository %s: revision %q: %w", dir, rev, err)
	}
	// Paths are kept relative to the registry root throughout.
	base := strings.TrimSuffix(prefix, folder)
	cache := addedCache{dir: filepath.Join(cacheDir, "added"), prefix: prefix}
	if times, ok := cache.load(*h); ok {
		return times, nil
	}

	times := map[string]Added{}
	commit, err := repo.CommitObject(*h)
	if err != nil {
		return nil, err
	}
	for commit != nil {
		if older, ok := cache.load(commit.Hash); ok {
			for p, t := range older {
				if _, seen := times[p]; !seen {
					times[p] = t
				}
			}
			break
		}
		parent, err := firstParent(commit)
		if err != nil {
			return nil, err
		}
		added, err := addedIn(commit, parent, prefix)
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", commit.Hash, err)
		}
		for _, p := range added {
			p = strings.TrimPrefix(p, base)
			if _, seen := times[p]; !seen {
				times[p] = Added{Time: commit.Committer.When.UTC(), Commit: commit.Hash.String()}
			}
		}
		commit = parent
	}
	// Keep only files that still exist at the commit built.
	head, err := repo.CommitObject(*h)
	if err != nil {
		return nil, err
	}
	present, err := filesUnder(head, prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Added, len(present))
	for _, p := range present {
		p = strings.TrimPrefix(p, base)
		if t, ok := times[p]; ok {
			out[p] = t
		}
	}
	cache.store(*h, out)
	return out, nil
}

// checkoutRoot returns the folder holding .git at or above dir, or "".
func checkoutRoot(dir string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

func firstParent(c *object.Commit) (*object.Commit, error) {
	if c.NumParents() == 0 {
		return nil, nil
	}
	return c.Parent(0)
}

// addedIn lists the files below prefix that exist in c but not in parent.
func addedIn(c, parent *object.Commit, prefix string) ([]string, error) {
	cur, err := subtree(c, prefix)
	if err != nil || cur == nil {
		return nil, err
	}
	var old *object.Tree
	if parent != nil {
		if old, err = subtree(parent, prefix); err != nil {
			return nil, err
		}
	}
	if old != nil && old.Hash == cur.Hash {
		return nil, nil
	}
	changes, err := object.DiffTree(old, cur)
	if err != nil {
		return nil, err
	}
	var added []string
	for _, ch := range changes {
		if ch.From.Name == "" && ch.To.Name != "" {
			added = append(added, path.Join(prefix, ch.To.Name))
		}
	}
	return added, nil
}

func subtree(c *object.Commit, prefix string) (*object.Tree, error) {
	t, err := c.Tree()
	if err != nil {
		return nil, err
	}
	sub, err := t.Tree(prefix)
	if errors.Is(err, object.ErrDirectoryNotFound) {
		return nil, nil
	}
	return sub, err
}

func filesUnder(c *object.Commit, prefix string) ([]string, error) {
	t, err := subtree(c, prefix)
	if err != nil || t == nil {
		return nil, err
	}
	var files []string
	err = t.Files().ForEach(func(f *object.File) error {
		files = append(files, path.Join(prefix, f.Name))
		return nil
	})
	return files, err
}

// addedCache keeps the result for recent commits; entries are small
// compared with the history walk they save.
type addedCache struct{ dir, prefix string }

func (c addedCache) file(h plumbing.Hash) string {
	key := strings.NewReplacer("/", "_").Replace(c.prefix)
	// v2: entries hold the commit as well as the time.
	return filepath.Join(c.dir, h.String()+"-"+key+".v2.json")
}

func (c addedCache) load(h plumbing.Hash) (map[string]Added, bool) {
	data, err := os.ReadFile(c.file(h))
	if err != nil {
		return nil, false
	}
	var times map[string]Added
	if json.Unmarshal(data, &times) != nil {
		return nil, false
	}
	return times, true
}

// store writes the result for h and drops all but the newest few entries.
func (c addedCache) store(h plumbing.Hash, times map[string]Added) {
	data, err := json.Marshal(times)
	if err != nil || atomicfile.Write(c.file(h), strings.NewReader(string(data)), 0o644) != nil {
		return
	}
	entries, _ := os.ReadDir(c.dir)
	sort.Slice(entries, func(i, j int) bool {
		a, _ := entries[i].Info()
		b, _ := entries[j].Info()
		return a != nil && b != nil && a.ModTime().After(b.ModTime())
	})
	for i, e := range entries {
		if i >= 4 {
			os.Remove(filepath.Join(c.dir, e.Name()))
		}
	}
}
