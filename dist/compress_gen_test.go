package dist

import (
	"bytes"
	"fmt"
	"math/rand/v2"
)

// packagesText returns n stanzas of a synthetic apt Packages file, about 1 KB
// each, the same for the same n.
func packagesText(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 1100)
	for i := range n {
		writeStanza(&b, i, "")
	}
	return b.Bytes()
}

var (
	genSyllables = []string{"ba", "ker", "lo", "zi", "mon", "ta", "ric", "vel", "sun", "dra", "pix", "qua", "nor",
		"gel", "fin", "hal", "jo", "wex", "yum", "cor", "dis", "ent", "ox", "pla", "str", "tun", "urb", "vin"}
	genWords = []string{"the", "a", "fast", "small", "tool", "library", "for", "parsing", "data", "network",
		"files", "and", "utilities", "to", "manage", "render", "compress", "encode", "stream", "image", "audio",
		"text", "config", "cache", "index", "build", "test", "debug", "log", "metrics", "server", "client",
		"plugin", "module", "bindings", "runtime", "support", "with", "extra", "features"}
	genSections = []string{"libs", "utils", "devel", "python", "golang", "javascript", "doc", "net", "admin"}
)

// writeStanza writes stanza i; salt makes a different stanza for the same i.
func writeStanza(b *bytes.Buffer, i int, salt string) {
	r := rand.New(rand.NewPCG(uint64(i), uint64(len(salt))*7919+1))
	word := func() string { return genWords[r.IntN(len(genWords))] }
	name := ""
	for range 2 + r.IntN(2) {
		name += genSyllables[r.IntN(len(genSyllables))]
	}
	name = fmt.Sprintf("%s%s%d", []string{"lib", "python3-", "golang-", "", ""}[r.IntN(5)], name, i) + salt
	ver := fmt.Sprintf("%d.%d.%d-%d", r.IntN(12), r.IntN(40), r.IntN(20), 1+r.IntN(4))
	fmt.Fprintf(b, "Package: %s\nVersion: %s\nArchitecture: amd64\n", name, ver)
	fmt.Fprintf(b, "Maintainer: %s Developers <team+%s@example.org>\n", genSyllables[r.IntN(len(genSyllables))], name)
	fmt.Fprintf(b, "Installed-Size: %d\n", 10+r.IntN(40000))
	b.WriteString("Depends: libc6 (>= 2.36)")
	for range r.IntN(6) {
		fmt.Fprintf(b, ", lib%s%d (>= %d.%d)", genSyllables[r.IntN(len(genSyllables))], r.IntN(i+1), r.IntN(5), r.IntN(10))
	}
	fmt.Fprintf(b, "\nSection: %s\nPriority: optional\nHomepage: https://example.org/%s\n", genSections[r.IntN(len(genSections))], name)
	fmt.Fprintf(b, "Description: %s %s %s\n", word(), word(), word())
	for range 6 + r.IntN(6) {
		b.WriteString(" ")
		for j := range 8 + r.IntN(6) {
			if j > 0 {
				b.WriteString(" ")
			}
			b.WriteString(word())
		}
		b.WriteString(".\n")
	}
	fmt.Fprintf(b, "Filename: pool/main/%c/%s/%s_%s_amd64.deb\nSize: %d\n", name[0], name, name, ver, 1000+r.IntN(1<<20))
	fmt.Fprintf(b, "SHA256: %016x%016x%016x%016x\n\n", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
}

// insertStanza returns data with one new stanza (made from salt) at the
// stanza boundary nearest the middle.
func insertStanza(data []byte, salt string) []byte {
	mid := len(data) / 2
	at := bytes.Index(data[mid:], []byte("\n\n"))
	if at < 0 {
		at = len(data)
	} else {
		at += mid + 2
	}
	var extra bytes.Buffer
	writeStanza(&extra, 1<<30, salt)
	out := make([]byte, 0, len(data)+extra.Len())
	out = append(out, data[:at]...)
	out = append(out, extra.Bytes()...)
	return append(out, data[at:]...)
}
