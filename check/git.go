package check

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/stockpile/stockpile/config"
)

func resolve(repo *git.Repository, rev string) (*object.Commit, error) {
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("revision %q: %w", rev, err)
	}
	c, err := repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("revision %q (%s): %w", rev, h, err)
	}
	return c, nil
}

// defaultBase picks the revision a change is compared with when --base is
// not given: the pull request's target branch in GitHub Actions
// (origin/$GITHUB_BASE_REF), else origin/main when it is not head itself,
// else head's first parent. It returns "" when head has no parent: then
// everything at head is new.
func defaultBase(repo *git.Repository, head *object.Commit, getenv func(string) string) string {
	var candidates []string
	if ref := getenv("GITHUB_BASE_REF"); ref != "" {
		candidates = append(candidates, "refs/remotes/origin/"+ref)
	}
	candidates = append(candidates, "refs/remotes/origin/main")
	for _, rev := range candidates {
		h, err := repo.ResolveRevision(plumbing.Revision(rev))
		if err == nil && *h != head.Hash {
			return strings.TrimPrefix(rev, "refs/remotes/")
		}
	}
	if head.NumParents() > 0 {
		return head.ParentHashes[0].String()
	}
	return ""
}

// mergeBase returns the best common ancestor of a and b, or nil.
func mergeBase(a, b *object.Commit) (*object.Commit, error) {
	bases, err := a.MergeBase(b)
	if err != nil {
		return nil, historyError(err)
	}
	if len(bases) == 0 {
		return nil, nil
	}
	return bases[0], nil
}

// commitsBetween returns the commits reachable from head but not from base
// (base may be nil), newest first as a breadth-first walk meets them.
func commitsBetween(repo *git.Repository, base, head *object.Commit) ([]*object.Commit, error) {
	seen := map[plumbing.Hash]bool{}
	if base != nil {
		queue := []plumbing.Hash{base.Hash}
		seen[base.Hash] = true
		for len(queue) > 0 {
			c, err := repo.CommitObject(queue[0])
			queue = queue[1:]
			if err != nil {
				return nil, historyError(err)
			}
			for _, p := range c.ParentHashes {
				if !seen[p] {
					seen[p] = true
					queue = append(queue, p)
				}
			}
		}
	}
	var out []*object.Commit
	queue := []plumbing.Hash{head.Hash}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if seen[h] {
			continue
		}
		seen[h] = true
		c, err := repo.CommitObject(h)
		if err != nil {
			return nil, historyError(err)
		}
		out = append(out, c)
		queue = append(queue, c.ParentHashes...)
	}
	return out, nil
}

func historyError(err error) error {
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return fmt.Errorf("%w: the Git history is incomplete (a shallow clone? fetch it whole, e.g. actions/checkout with fetch-depth: 0)", err)
	}
	return err
}

// FileChange is one registry file a change adds, modifies or removes.
type FileChange struct {
	Path   string `json:"path"`
	Action string `json:"action"` // added, modified or removed
	Kind   string `json:"kind"`   // manifest or settings
}

// changedFiles lists the manifests and settings that differ between from
// (nil: an empty tree) and to.
func changedFiles(from, to *object.Commit) ([]FileChange, error) {
	var a *object.Tree
	if from != nil {
		t, err := from.Tree()
		if err != nil {
			return nil, err
		}
		a = t
	}
	b, err := to.Tree()
	if err != nil {
		return nil, err
	}
	changes, err := object.DiffTree(a, b)
	if err != nil {
		return nil, historyError(err)
	}
	var out []FileChange
	for _, ch := range changes {
		name, action := ch.To.Name, "modified"
		switch {
		case ch.From.Name == "":
			action = "added"
		case ch.To.Name == "":
			name, action = ch.From.Name, "removed"
		}
		kind := ""
		switch {
		case name == config.ConfigFile:
			kind = "settings"
		case isManifest(name):
			kind = "manifest"
		default:
			continue
		}
		out = append(out, FileChange{Path: name, Action: action, Kind: kind})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func isManifest(p string) bool {
	ext := path.Ext(p)
	return strings.HasPrefix(p, config.ManifestDir+"/") && (ext == ".yaml" || ext == ".yml")
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func subject(c *object.Commit) string {
	s, _, _ := strings.Cut(strings.TrimSpace(c.Message), "\n")
	return s
}
