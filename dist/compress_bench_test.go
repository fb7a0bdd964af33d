package dist

import (
	"fmt"
	"testing"
)

// Sizes of the benchmark inputs: 10,000 stanzas make about 10.6 MB, like the
// Packages file of 10,000 .debs.
var benchSizes = []int{10000, 100000}

func benchName(n int) string { return fmt.Sprintf("%dk", n/1000) }

func BenchmarkXZCold(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(benchName(n), func(b *testing.B) {
			benchCold(b, packagesText(n), (*Compressor).XZ)
		})
	}
}

func BenchmarkGzip(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(benchName(n), func(b *testing.B) {
			benchCold(b, packagesText(n), (*Compressor).Gzip)
		})
	}
}

func BenchmarkXZWarmOneChange(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(benchName(n), func(b *testing.B) {
			benchWarmOneChange(b, packagesText(n), (*Compressor).XZ)
		})
	}
}

func BenchmarkGzipWarmOneChange(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(benchName(n), func(b *testing.B) {
			benchWarmOneChange(b, packagesText(n), (*Compressor).Gzip)
		})
	}
}

type compressFunc func(*Compressor, []byte) ([]byte, error)

// benchCold compresses with an empty cache every time.
func benchCold(b *testing.B, data []byte, f compressFunc) {
	b.SetBytes(int64(len(data)))
	var out []byte
	for b.Loop() {
		var err error
		if out, err = f(NewCompressor(""), data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out))/float64(len(data)), "ratio")
}

// benchWarmOneChange compresses, as a new process with the disk cache of the
// previous build would, the input with one stanza added in the middle; a
// different one each time.
func benchWarmOneChange(b *testing.B, data []byte, f compressFunc) {
	dir := b.TempDir()
	if _, err := f(NewCompressor(dir), data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	var recompressed, ops int64
	i := 0
	for b.Loop() {
		b.StopTimer()
		changed := insertStanza(data, fmt.Sprint(i))
		i++
		b.StartTimer()
		c := NewCompressor(dir)
		if _, err := f(c, changed); err != nil {
			b.Fatal(err)
		}
		recompressed += c.Stats().Compressed
		ops++
	}
	b.ReportMetric(float64(recompressed)/float64(ops), "chunks/op")
}
