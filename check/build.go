package check

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/generator"
)

// TreeDiff lists the files of the built tree a change adds, changes and
// removes, by path.
type TreeDiff struct {
	Added    []string `json:"added"`
	Modified []string `json:"modified"`
	Removed  []string `json:"removed"`
}

// build checks that the whole registry builds at head, without signing
// (no private key is needed), and previews the tree the change touches by
// building the merge base too.
func (c *checker) build(ctx context.Context) error {
	if !c.headLoaded {
		return nil // the schema findings say why it would not build
	}
	work := filepath.Join(c.opts.CacheDir, "check")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	// Inside the cache folder, so that artifacts are hard-linked from it.
	tmp, err := os.MkdirTemp(work, "build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	now := c.opts.Now
	if now.IsZero() {
		now = c.head.Committer.When
	}
	// Both builds use one time, so that only what the change touches differs.
	opts := generator.Options{
		Dir: c.opts.Dir, CacheDir: c.opts.CacheDir, Now: now,
		Getenv: c.opts.Getenv, Log: c.opts.Log, Unsigned: true, Temporary: true,
	}
	headOut := filepath.Join(tmp, "head")
	opts.Ref, opts.Out, opts.Progress = c.head.Hash.String(), headOut, c.opts.Progress
	if _, err := generator.Build(ctx, opts); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, e := range leaves(err) {
			f := locate(e)
			f.Check = "build"
			c.addOnce(f)
		}
		return nil
	}

	baseOut := filepath.Join(tmp, "base")
	if err := os.MkdirAll(baseOut, 0o755); err != nil {
		return err
	}
	if c.from != nil && c.fromReg != nil {
		opts.Ref, opts.Out, opts.Progress = c.from.Hash.String(), baseOut, nil
		if _, err := generator.Build(ctx, opts); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.add(Finding{Severity: SeverityWarning, Check: "build",
				Message: fmt.Sprintf("the merge base %s does not build, so the touched files are not previewed: %s", short(c.from.Hash.String()), trimLines(err.Error()))})
			return nil
		}
	}
	diff, err := diffTrees(baseOut, headOut)
	if err != nil {
		return err
	}
	c.report.Tree = diff
	if c.opts.Published != "" {
		return c.checkPublished(ctx, headOut, diff)
	}
	return nil
}

// checkPublished refuses artifacts the change adds to the tree when the
// published tree already holds other bytes under the same path.
func (c *checker) checkPublished(ctx context.Context, out string, diff *TreeDiff) error {
	bySHA := map[string]*config.Manifest{}
	sizes := map[int64]bool{}
	for _, m := range c.headReg.Manifests {
		for _, f := range c.report.Files {
			if f.Path == m.Path && f.Action != "removed" {
				bySHA[m.SHA256] = m
				sizes[m.Size] = true
			}
		}
	}
	for _, p := range append(append([]string{}, diff.Added...), diff.Modified...) {
		local := filepath.Join(out, filepath.FromSlash(p))
		st, err := os.Stat(local)
		if err != nil || !sizes[st.Size()] {
			continue
		}
		sum, err := digest.FileSHA256(local)
		if err != nil {
			return err
		}
		m := bySHA[sum]
		if m == nil {
			continue
		}
		got, found, err := c.fetchPublished(ctx, p)
		if err != nil {
			c.add(Finding{Severity: SeverityError, Check: "published", File: m.Path, Line: m.Lines["file"],
				Message: fmt.Sprintf("cannot compare %s with the published tree: %v", p, err)})
			continue
		}
		if found && got != sum {
			c.add(Finding{Severity: SeverityError, Check: "published", File: m.Path, Line: m.Lines["sha256"],
				Message: fmt.Sprintf("%s is already published at %s with sha256 %s, this change has %s: published artifacts never change", m.File, p, got, sum)})
		}
	}
	return nil
}

// fetchPublished returns the sha256 of the published file at tree path p,
// or found false when there is none. S3 answers 403 for a missing key to
// readers that may not list the bucket, so 403 counts as missing.
func (c *checker) fetchPublished(ctx context.Context, p string) (string, bool, error) {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := strings.TrimSuffix(c.opts.Published, "/") + "/" + strings.Join(segs, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", false, err
	}
	resp, err := c.opts.HTTP.Do(req)
	if err != nil {
		return "", false, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusForbidden, http.StatusGone:
		return "", false, nil
	default:
		return "", false, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	sum, err := digest.SHA256(resp.Body)
	if err != nil {
		return "", false, fmt.Errorf("GET %s: %w", u, err)
	}
	return sum, true, nil
}

// diffTrees compares two built trees by content.
func diffTrees(a, b string) (*TreeDiff, error) {
	fa, err := listFiles(a)
	if err != nil {
		return nil, err
	}
	fb, err := listFiles(b)
	if err != nil {
		return nil, err
	}
	d := &TreeDiff{Added: []string{}, Modified: []string{}, Removed: []string{}}
	for p := range fb {
		if _, ok := fa[p]; !ok {
			d.Added = append(d.Added, p)
			continue
		}
		same, err := sameFile(filepath.Join(a, filepath.FromSlash(p)), filepath.Join(b, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		if !same {
			d.Modified = append(d.Modified, p)
		}
	}
	for p := range fa {
		if _, ok := fb[p]; !ok {
			d.Removed = append(d.Removed, p)
		}
	}
	sort.Strings(d.Added)
	sort.Strings(d.Modified)
	sort.Strings(d.Removed)
	return d, nil
}

func listFiles(dir string) (map[string]bool, error) {
	out := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = true
		return nil
	})
	return out, err
}

// sameFile compares two files: hard links of one artifact are the same
// without reading them.
func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	if sa.Size() != sb.Size() {
		return false, nil
	}
	if os.SameFile(sa, sb) {
		return true, nil
	}
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(fa, bufA)
		nb, eb := io.ReadFull(fb, bufB)
		if na != nb || !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF {
			return eb == io.EOF || eb == io.ErrUnexpectedEOF, nil
		}
		if ea != nil {
			return false, ea
		}
		if eb != nil {
			return false, eb
		}
	}
}

// location finds "packages/...yaml:N" or "repos.yaml:N" in a message.
var location = regexp.MustCompile(`((?:` + config.ManifestDir + `/[^\s:"]+\.ya?ml)|` + regexp.QuoteMeta(config.ConfigFile) + `):(\d+)`)

// locate turns an error into an error finding at the first manifest or
// repos.yaml position it names.
func locate(err error) Finding {
	msg := trimLines(err.Error())
	f := Finding{Severity: SeverityError, Message: msg}
	if m := location.FindStringSubmatchIndex(msg); m != nil {
		f.File = msg[m[2]:m[3]]
		f.Line, _ = strconv.Atoi(msg[m[4]:m[5]])
		if m[0] == 0 {
			f.Message = strings.TrimLeft(strings.TrimPrefix(msg[m[1]:], ":"), " ")
		}
	}
	return f
}
