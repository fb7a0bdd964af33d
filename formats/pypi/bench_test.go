package pypi

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/internal/pygen"
)

// BenchmarkIndex indexes 10,000 wheels of 2,500 projects whose metadata is
// already read (a warm build).
func BenchmarkIndex(b *testing.B) {
	var arts []*formats.Artifact
	for i := range 10000 {
		p := pygen.Project{
			Name: fmt.Sprintf("bench-project_%d", i/4), Version: fmt.Sprintf("%d.%d.%d", i%4, i%7, i%13),
			Summary: "a project of the benchmark", RequiresPython: ">=3.8",
			RequiresDist: []string{"other-project>=1.0", "third<3,>=0.5"},
			Description:  "# Title\n\nA paragraph of text that makes the metadata a realistic size, about a kilobyte or so once the rest is in.\n",
		}
		data, err := p.Wheel()
		if err != nil {
			b.Fatal(err)
		}
		arts = append(arts, artifactOf(b, p.WheelName()+".yaml", p.WheelName(), data, "/blobs/"+p.WheelName()))
	}
	b.ResetTimer()
	for b.Loop() {
		tree := dist.NewTree()
		if err := New().Index(testBuild(), testRepo(), arts, tree); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInspect reads one wheel of about the benchmark corpus' size.
func BenchmarkInspect(b *testing.B) {
	p := pygen.Project{Name: "bench-project", Version: "1.2.3", Summary: "s", RequiresPython: ">=3.8",
		Files: map[string][]byte{"bench_project/__init__.py": []byte("x = 1\n"), "bench_project/core.py": []byte("y = 2\n")}}
	data, err := p.Wheel()
	if err != nil {
		b.Fatal(err)
	}
	f := New()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := f.Inspect(bytes.NewReader(data), int64(len(data)), p.WheelName()); err != nil {
			b.Fatal(err)
		}
	}
}
