package source

import (
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// FuzzLookup resolves arbitrary paths through a tree whose entry names and
// symbolic-link targets come from the fuzzer, as a hostile commit could
// have them: no panic, no hang, and nothing outside the tree.
func FuzzLookup(f *testing.F) {
	f.Add("dir", "link", "../x", "link/a")
	f.Add("a", "b", "a", "b/a/a")
	f.Add("d", "l", ".", "l/l/l/d/f")
	f.Add("d", "l", "/etc", "l/passwd")
	f.Add("d", "l", "d/..", "l/d/f")
	f.Add("d", "..", "d", "../d/f")
	f.Fuzz(func(t *testing.T, dirName, linkName, target, name string) {
		st := memory.NewStorage()
		blob := func(data string) plumbing.Hash {
			obj := st.NewEncodedObject()
			obj.SetType(plumbing.BlobObject)
			w, _ := obj.Writer()
			io.WriteString(w, data)
			w.Close()
			h, err := st.SetEncodedObject(obj)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		// Raw tree bytes: go-git's encoder would refuse what a hostile
		// commit can hold (unsorted or odd names).
		tree := func(entries ...object.TreeEntry) plumbing.Hash {
			obj := st.NewEncodedObject()
			obj.SetType(plumbing.TreeObject)
			w, _ := obj.Writer()
			for _, e := range entries {
				fmt.Fprintf(w, "%o %s\x00", e.Mode, e.Name)
				w.Write(e.Hash[:])
			}
			w.Close()
			h, err := st.SetEncodedObject(obj)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		sub := tree(object.TreeEntry{Name: "f", Mode: filemode.Regular, Hash: blob("file")})
		root := tree(
			object.TreeEntry{Name: dirName, Mode: filemode.Dir, Hash: sub},
			object.TreeEntry{Name: linkName, Mode: filemode.Symlink, Hash: blob(target)},
		)
		g, err := newGitFS(st, root, time.Unix(0, 0))
		if err != nil {
			return // a malformed tree is an error, which is fine
		}
		if data, err := g.ReadFile(name); err == nil && string(data) != "file" && string(data) != target {
			t.Errorf("ReadFile(%q) = %q, want one of the tree's blobs", name, data)
		}
		if fi, err := g.Stat(name); err == nil && !fs.ValidPath(name) {
			t.Errorf("Stat(%q) = %v for an invalid path", name, fi)
		}
		if entries, err := g.ReadDir(name); err == nil {
			for _, e := range entries {
				if !validName(e.Name()) || strings.Contains(e.Name(), "/") {
					t.Errorf("ReadDir(%q) lists %q", name, e.Name())
				}
			}
		}
	})
}
