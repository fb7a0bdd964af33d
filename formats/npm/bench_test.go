package npm

import (
	"fmt"
	"testing"
	"time"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
)

// benchArtifacts makes n versions, four to a package and a fifth of the
// packages scoped, like the benchmark corpus.
func benchArtifacts(b *testing.B, n int) []*formats.Artifact {
	var arts []*formats.Artifact
	for i := range n {
		name := fmt.Sprintf("bench-pkg%d", i/4)
		if i/4%5 == 0 {
			name = "@corpus/" + name
		}
		version := fmt.Sprintf("1.%d.%d", i%4, i%7)
		p := pkg(name, version, "dependencies", map[string]any{"left-pad": "^1.0.0", "@corpus/bench-pkg0": "*"},
			"engines", map[string]any{"node": ">=16"})
		arts = append(arts, artifactOf(b, i, mustPack(b, p), p.FileName(), spec{added: time.Duration(i) * time.Second}))
	}
	return arts
}

func BenchmarkIndex10k(b *testing.B) {
	arts := benchArtifacts(b, 10000)
	build := testBuild(b)
	b.ResetTimer()
	for b.Loop() {
		if err := New().Index(build, testRepo(), arts, dist.NewTree()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndex10kWarm indexes with the previous build's output at hand,
// as a rebuild after adding one artifact does.
func BenchmarkIndex10kWarm(b *testing.B) {
	arts := benchArtifacts(b, 10000)
	build := testBuild(b)
	prev := dist.NewTree()
	if err := New().Index(build, testRepo(), arts, prev); err != nil {
		b.Fatal(err)
	}
	build.Previous = previousOf(prev)
	b.ResetTimer()
	for b.Loop() {
		if err := New().Index(build, testRepo(), arts, dist.NewTree()); err != nil {
			b.Fatal(err)
		}
	}
}
