package dist

import (
	"bytes"
	"testing"
)

// FuzzCompress checks that any input survives both formats, cut into tiny
// chunks so that chunk edges land everywhere.
func FuzzCompress(f *testing.F) {
	for _, in := range compressInputs(f) {
		if len(in.data) < 4096 {
			f.Add(in.data)
		}
	}
	f.Add(packagesText(3))
	f.Add([]byte("a\n\nb\n\n\n" + "c"))
	p := chunking{min: 64, avg: 64, max: 512}
	c := newCompressor("", p, 1<<20)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8<<10 {
			t.Skip("long inputs only slow the search down")
		}
		ends := p.cuts(data)
		start := 0
		for _, e := range ends {
			if e-start < 1 || e-start > p.max {
				t.Fatalf("chunk of %d bytes", e-start)
			}
			start = e
		}
		if start != len(data) {
			t.Fatalf("chunks cover %d of %d bytes", start, len(data))
		}
		x, err := c.XZ(data)
		if err != nil {
			t.Fatal(err)
		}
		if got := unxz(t, x); !bytes.Equal(got, data) {
			t.Fatalf("xz round trip differs")
		}
		g, err := c.Gzip(data)
		if err != nil {
			t.Fatal(err)
		}
		if got := gunzip(t, g); !bytes.Equal(got, data) {
			t.Fatalf("gzip round trip differs")
		}
	})
}
