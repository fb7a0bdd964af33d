package upstream

import (
	"testing"

	"github.com/stockpile/stockpile/config"
)

func FuzzParseConstraint(f *testing.F) {
	for _, seed := range []string{"^1.2.3 || ~2", ">=1.0,<2,!=1.5.*", ">= 1:2.0-1, << 3", "1.0.0 - 2", "~=1.4"} {
		f.Add(seed, "1.2.3")
	}
	f.Fuzz(func(t *testing.T, constraint, version string) {
		for _, format := range config.Formats {
			if c, err := ParseConstraint(format, constraint); err == nil {
				c.Match(version)
				c.Prereleases()
			}
		}
	})
}

func FuzzUpstreamIndexes(f *testing.F) {
	f.Add([]byte("Package: a\nVersion: 1\nFilename: pool/a.deb\nSHA256: 00\n\n"))
	f.Add([]byte(`<metadata><package type="rpm"><name>a</name><version epoch="0" ver="1" rel="1"/><checksum type="sha256">00</checksum><location href="a.rpm"/></package></metadata>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseStanzas(data)
		parseRelease(data)
		u := &config.Upstream{Packages: []config.UpstreamPackage{{Name: "a"}}}
		readPrimary(u, "https://example.org/", "https://example.org/primary.xml", data)
		pypiFileVersion(string(data), "a")
	})
}
