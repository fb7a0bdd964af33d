// Command examples writes the example Python distributions of the demo
// registry in this repository (blobs/pypi/). Its output is deterministic;
// rerun it after changing it and record the files with `stockpile add`
// (the yanked release gets "yanked: <reason>" in its manifest by hand).
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/stockpile/stockpile/internal/pygen"
)

var greeting = func(version, text string) pygen.Project {
	return pygen.Project{
		Name: "stockpile-greeting", Version: version,
		Summary:        "The greeting stockpile-hello prints",
		RequiresPython: ">=3.7",
		Extra:          []string{"License: MIT"},
		Description:    "A local version ('+demo') on purpose: its file names hold a '+'.\n",
		Files: map[string][]byte{
			"stockpile_greeting/__init__.py": []byte("GREETING = " + quote(text) + "\n__version__ = " + quote(version) + "\n"),
		},
	}
}

var hello = pygen.Project{
	Name: "stockpile-hello", Version: "1.0.0",
	Summary:        "Says hello from a Stockpile registry",
	RequiresPython: ">=3.7",
	RequiresDist:   []string{"stockpile-greeting>=1.2"},
	Extra:          []string{"License: MIT"},
	Description:    "Run `python -m stockpile_hello` after installing it from a registry that is only static files.\n",
	Files: map[string][]byte{
		"stockpile_hello/__init__.py": []byte("from stockpile_greeting import GREETING\n\n\ndef main():\n    print(GREETING)\n"),
		"stockpile_hello/__main__.py": []byte("from stockpile_hello import main\n\nmain()\n"),
	},
}

func quote(s string) string { return "\"" + s + "\"" }

func main() {
	out := flag.String("o", "examples-out", "output folder")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	good := greeting("1.2+demo", "Hello from Stockpile!")
	yanked := greeting("1.3", "Hello from a yanked release!")
	files := map[string]func() ([]byte, error){
		hello.WheelName():  hello.Wheel,
		hello.SdistName():  hello.Sdist,
		good.WheelName():   good.Wheel,
		good.SdistName():   good.Sdist,
		yanked.WheelName(): yanked.Wheel,
	}
	for name, build := range files {
		data, err := build()
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
