// Command corpus writes a deterministic benchmark corpus of .deb files: the
// same arguments give the same bytes. Versions include epochs, "~" and "+";
// packages depend on each other; architectures mix amd64, arm64 and all.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/stockpile/stockpile/internal/debgen"
)

func main() {
	n := flag.Int("n", 1000, "number of packages")
	start := flag.Int("start", 0, "index of the first package (for extra batches that do not clash)")
	out := flag.String("o", "corpus", "output folder")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for i := *start; i < *start+*n; i++ {
		name, file, deb, err := makeDeb(i)
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(*out, file), deb, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

var archs = []string{"amd64", "arm64", "all"}

func makeDeb(i int) (name, file string, deb []byte, err error) {
	name = fmt.Sprintf("bench-pkg%06d", i)
	upstream := fmt.Sprintf("%d.%d.%d", 1+i%7, i%13, i%5)
	switch i % 4 {
	case 1:
		upstream += "~rc1"
	case 2:
		upstream += "+dfsg"
	}
	version := upstream + "-1"
	if i%10 == 3 {
		version = "2:" + version
	}
	arch := archs[i%len(archs)]
	c := debgen.Control{
		Package:       name,
		Version:       version,
		Architecture:  arch,
		Maintainer:    "Benchmark Maintainers <bench@example.org>",
		InstalledSize: int64(10 + i%90),
		Section:       "misc",
		Priority:      "optional",
		Homepage:      "https://example.org/" + name,
		Description: "benchmark package number " + fmt.Sprint(i) + "\n" +
			strings.Repeat("This package exists to measure how fast a registry index is built from many small packages. ", 6),
	}
	if i > 0 {
		c.Depends = fmt.Sprintf("bench-pkg%06d (>= 1.0), libc6 (>= 2.36)", (i*7919)%i)
	}
	files := map[string][]byte{
		"usr/share/doc/" + name + "/README": []byte(strings.Repeat(name+" ", 200)),
	}
	deb, err = debgen.Build(c, files)
	fileVersion := version
	if _, after, ok := strings.Cut(version, ":"); ok {
		fileVersion = after
	}
	return name, fmt.Sprintf("%s_%s_%s.deb", name, fileVersion, arch), deb, err
}
