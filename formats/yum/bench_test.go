package yum

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/internal/rpmgen"
)

// benchArtifacts returns n artifacts of small but realistic packages: a few
// files, dependencies and changelog entries each.
func benchArtifacts(b *testing.B, n int) []*formats.Artifact {
	b.Helper()
	out := make([]*formats.Artifact, n)
	parallel(n, func(i int) {
		p := rpmgen.Package{
			Name: fmt.Sprintf("pkg%05d", i), Version: fmt.Sprintf("%d.%d", i%7, i%13), Release: "1.fc39", Arch: "x86_64",
			Summary: "package for the benchmark", Description: "A package <with> some & text.\nSecond line.",
			Packager: "Jane Doe <jane@example.org>", URL: "https://example.org/",
			Requires: []rpmgen.Dep{{Name: fmt.Sprintf("pkg%05d", (i+1)%n), Flags: ge, Version: "1.0"}, {Name: "libc.so.6()(64bit)"}, {Name: "/bin/sh", Flags: 512}},
			Provides: []rpmgen.Dep{{Name: fmt.Sprintf("lib%05d.so.1()(64bit)", i)}},
			Files: []rpmgen.File{
				{Path: fmt.Sprintf("/usr/bin/pkg%05d", i), Data: []byte("x")},
				{Path: fmt.Sprintf("/usr/lib64/lib%05d.so.1", i), Data: []byte("y")},
				{Path: fmt.Sprintf("/usr/share/doc/pkg%05d/README", i), Data: []byte("z")},
			},
			Changelog: changelog(3),
		}
		data, err := rpmgen.Build(p, rpmgen.Options{})
		if err != nil {
			panic(err)
		}
		a := artifactOf(b, i, data, p.FileName(), "/blobs/"+p.FileName(), time.Unix(1700000000, 0))
		a.Digests = digest.Set{SHA256: fmt.Sprintf("%064x", i), Size: int64(len(data))}
		out[i] = a
	})
	return out
}

// BenchmarkIndex is a warm rebuild's indexing of 10,000 packages: the
// compressor has every chunk cached but the last.
func BenchmarkIndex(b *testing.B) {
	arts := benchArtifacts(b, 10000)
	bd := &formats.Build{Now: time.Unix(1700000000, 0), Compress: dist.NewCompressor("")}
	repo := &config.Repository{Name: "yum", Format: "yum"}
	if err := New().Index(bd, repo, arts, dist.NewTree()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := New().Index(bd, repo, arts, dist.NewTree()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMeta(b *testing.B) {
	meta := benchArtifacts(b, 1)[0].Meta
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(meta)))
		for i := 0; i < b.N; i++ {
			if _, err := DecodeMeta(meta); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(meta)))
		for i := 0; i < b.N; i++ {
			var p Package
			if err := json.Unmarshal(meta, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
