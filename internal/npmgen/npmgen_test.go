package npmgen

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuild(t *testing.T) {
	p := Package{
		JSON:  map[string]any{"name": "@s/n", "version": "1.0.0"},
		Files: map[string][]byte{"z.js": []byte("z"), "bin/cli": []byte("#!/bin/sh\n")},
	}
	if got := p.FileName(); got != "s-n-1.0.0.tgz" {
		t.Errorf("FileName() = %q", got)
	}
	a, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Build()
	if !bytes.Equal(a, b) {
		t.Errorf("two builds differ")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(MTime) {
			t.Errorf("%s: mtime %v", h.Name, h.ModTime)
		}
		got = append(got, h.Name+" "+h.FileInfo().Mode().Perm().String())
	}
	want := []string{"package/package.json -rw-r--r--", "package/bin/cli -rwxr-xr-x", "package/z.js -rw-r--r--"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}
