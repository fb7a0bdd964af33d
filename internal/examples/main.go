// Command examples writes the example artifacts of the demo registry in this
// repository (blobs/). Its output is deterministic; rerun it after changing it
// and record the files with `stockpile add`.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/stockpile/stockpile/internal/debgen"
)

type example struct {
	file    string
	control debgen.Control
	files   map[string][]byte
}

var debs = []example{
	{
		file: "hello-stockpile_1.0.0-1_all.deb",
		control: debgen.Control{
			Package: "hello-stockpile", Version: "1.0.0-1", Architecture: "all",
			Maintainer: "Stockpile demo <demo@example.org>", Section: "misc", Priority: "optional",
			Depends:     "stockpile-greeting (>= 1:1.2)",
			Description: "says hello from a Stockpile registry\nA tiny script installed from a registry that is only static files.",
		},
		files: map[string][]byte{
			"usr/bin/hello-stockpile": []byte("#!/bin/sh\ncat /usr/share/stockpile-greeting/greeting\n"),
		},
	},
	{
		file: "stockpile-greeting_1.2+demo-1_all.deb",
		control: debgen.Control{
			Package: "stockpile-greeting", Version: "1:1.2+demo-1", Architecture: "all",
			Maintainer: "Stockpile demo <demo@example.org>", Section: "misc", Priority: "optional",
			Description: "the greeting hello-stockpile prints\nAn epoch and a '+' in the version, on purpose.",
		},
		files: map[string][]byte{
			"usr/share/stockpile-greeting/greeting": []byte("Hello from Stockpile!\n"),
		},
	},
	{
		file: "stockpile-tools_2.0~beta1-1_amd64.deb",
		control: debgen.Control{
			Package: "stockpile-tools", Version: "2.0~beta1-1", Architecture: "amd64",
			Maintainer: "Stockpile demo <demo@example.org>", Section: "utils", Priority: "optional",
			Description: "example tools built for amd64\nA pre-release version ('~') for one architecture.",
		},
		files: map[string][]byte{"usr/share/doc/stockpile-tools/README": []byte("amd64 build\n")},
	},
	{
		file: "stockpile-tools_2.0~beta1-1_arm64.deb",
		control: debgen.Control{
			Package: "stockpile-tools", Version: "2.0~beta1-1", Architecture: "arm64",
			Maintainer: "Stockpile demo <demo@example.org>", Section: "utils", Priority: "optional",
			Description: "example tools built for arm64\nA pre-release version ('~') for one architecture.",
		},
		files: map[string][]byte{"usr/share/doc/stockpile-tools/README": []byte("arm64 build\n")},
	},
}

func main() {
	out := flag.String("o", "examples-out", "output folder")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, e := range debs {
		data, err := debgen.Build(e.control, e.files)
		if err != nil {
			log.Fatalf("%s: %v", e.file, err)
		}
		if err := os.WriteFile(filepath.Join(*out, e.file), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
