// Command examples writes the example npm tarballs of the demo registry in
// this repository (blobs/npm/). Its output is deterministic; rerun it after
// changing it and record the files with `stockpile add`.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/stockpile/stockpile/internal/npmgen"
)

// examples are the demo packages: a scoped command that depends on an
// unscoped library, a version with build metadata ('+' in its URL), and a
// pre-release for a dist-tag.
var examples = []npmgen.Package{
	{
		JSON: map[string]any{
			"name": "stockpile-greeting", "version": "1.1.0", "license": "MIT",
			"description": "the greeting @stockpile-demo/hello prints",
			"main":        "index.js",
		},
		Files: map[string][]byte{"index.js": []byte("module.exports = 'Hello from Stockpile!';\n")},
	},
	{
		JSON: map[string]any{
			"name": "stockpile-greeting", "version": "1.2.0", "license": "MIT",
			"description": "the greeting @stockpile-demo/hello prints",
			"main":        "index.js", "engines": map[string]any{"node": ">=18"},
		},
		Files: map[string][]byte{"index.js": []byte("module.exports = 'Hello from a static npm registry!';\n")},
	},
	{
		JSON: map[string]any{
			"name": "stockpile-greeting", "version": "2.0.0-beta.1", "license": "MIT",
			"description": "the greeting @stockpile-demo/hello prints (next major)",
			"main":        "index.js", "engines": map[string]any{"node": ">=20"},
		},
		Files: map[string][]byte{"index.js": []byte("module.exports = 'Hello from the next Stockpile!';\n")},
	},
	{
		JSON: map[string]any{
			"name": "@stockpile-demo/hello", "version": "1.0.0+demo", "license": "MIT",
			"description":  "says hello from a Stockpile registry",
			"main":         "index.js",
			"bin":          map[string]any{"hello-stockpile": "bin/hello.js"},
			"dependencies": map[string]any{"stockpile-greeting": "^1.2.0"},
		},
		Files: map[string][]byte{
			"index.js":     []byte("module.exports = () => require('stockpile-greeting');\n"),
			"bin/hello.js": []byte("#!/usr/bin/env node\nconsole.log(require('..')());\n"),
		},
	},
}

func main() {
	out := flag.String("o", "examples-out", "output folder")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, p := range examples {
		data, err := p.Build()
		if err != nil {
			log.Fatalf("%s: %v", p.FileName(), err)
		}
		if err := os.WriteFile(filepath.Join(*out, p.FileName()), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
