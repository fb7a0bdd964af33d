package npm

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/internal/npmgen"
)

func inspect(t testing.TB, f format, tgz []byte, file string) (*Package, error) {
	t.Helper()
	meta, err := f.Inspect(bytes.NewReader(tgz), int64(len(tgz)), file)
	if err != nil {
		return nil, err
	}
	p, err := DecodeMeta(meta)
	if err != nil {
		t.Fatalf("DecodeMeta(Inspect()): %v", err)
	}
	return p, nil
}

func mustPack(t testing.TB, p npmgen.Package) []byte {
	t.Helper()
	b, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustArchive(t testing.TB, entries []npmgen.Entry) []byte {
	t.Helper()
	b, err := npmgen.Archive(entries)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInspect(t *testing.T) {
	tests := []struct {
		name string
		pkg  npmgen.Package
		file string // default: npm pack's name
		want Manifest
		// files and bytes of the package
		fileCount int
	}{
		{
			name: "plain",
			pkg: npmgen.Package{JSON: map[string]any{
				"name": "left-pad", "version": "1.3.0", "description": "pads", "license": "WTFPL",
				"main": "index.js", "scripts": map[string]any{"test": "node test.js"},
				"dependencies": map[string]any{"a": "^1.0.0"}, "devDependencies": map[string]any{"tap": "*"},
			}, Files: map[string][]byte{"index.js": []byte("module.exports = 1\n")}},
			want: Manifest{Name: "left-pad", Version: "1.3.0", Description: "pads", License: "WTFPL",
				Dependencies: map[string]string{"a": "^1.0.0"}},
			fileCount: 2,
		},
		{
			name: "scoped, registry file name, every field",
			pkg: npmgen.Package{JSON: map[string]any{
				"name": "@scope/tool", "version": "2.0.0-rc.1+b.7",
				"optionalDependencies": map[string]any{"fsevents": "^2"},
				"peerDependencies":     map[string]any{"react": ">=17"},
				"peerDependenciesMeta": map[string]any{"react": map[string]any{"optional": true}, "bad": 3},
				"bundledDependencies":  []any{"a"},
				"bin":                  "./cli.js",
				"engines":              map[string]any{"node": ">=18", "odd": 1},
				"os":                   "linux", "cpu": []any{"x64", "arm64", 3}, "libc": []any{"glibc"},
				"directories": map[string]any{"lib": "lib"},
				"license":     map[string]any{"type": "MIT", "url": "x"},
				"scripts":     map[string]any{"postinstall": "node setup.js"},
			}, Files: map[string][]byte{"cli.js": []byte("#!/usr/bin/env node\n")}},
			file: "tool-2.0.0-rc.1+b.7.tgz",
			want: Manifest{Name: "@scope/tool", Version: "2.0.0-rc.1+b.7", License: "MIT",
				OptionalDependencies: map[string]string{"fsevents": "^2"},
				PeerDependencies:     map[string]string{"react": ">=17"},
				PeerDependenciesMeta: map[string]PeerMeta{"react": {Optional: true}},
				BundleDependencies:   json.RawMessage(`["a"]`),
				Bin:                  map[string]string{"tool": "cli.js"},
				Engines:              map[string]string{"node": ">=18"},
				OS:                   []string{"linux"}, CPU: []string{"x64", "arm64"}, Libc: []string{"glibc"},
				Directories:      map[string]string{"lib": "lib"},
				HasInstallScript: true,
			},
			fileCount: 2,
		},
		{
			name: "other top folder, node-gyp, shrinkwrap, bin folder",
			pkg: npmgen.Package{Folder: "node", JSON: map[string]any{
				"name": "native", "version": "0.1.0", "directories": map[string]any{"bin": "./bin"},
				"bundleDependencies": true,
			}, Files: map[string][]byte{
				"binding.gyp": []byte("{}"), "npm-shrinkwrap.json": []byte("{}"),
				"bin/native": []byte("x"), "bin/sub/helper": []byte("y"), "bin/.hidden": []byte("z"),
				"lib/bin/not-this": []byte("w"),
			}},
			want: Manifest{Name: "native", Version: "0.1.0", HasInstallScript: true, HasShrinkwrap: true,
				BundleDependencies: json.RawMessage(`true`),
				Directories:        map[string]string{"bin": "./bin"},
				Bin:                map[string]string{"native": "bin/native", "helper": "bin/sub/helper"}},
			fileCount: 7,
		},
		{
			name: "gypfile false, bin object cleaned, empty lists",
			pkg: npmgen.Package{JSON: map[string]any{
				"name": "nogyp", "version": "1.0.0", "gypfile": false, "dependencies": []any{},
				"bin":     map[string]any{"../../evil": "../../etc/passwd", "ok": "bin\\ok.js", "": "x", "num": 1},
				"scripts": map[string]any{"install": "  "},
			}, Files: map[string][]byte{"x.gyp": []byte("{}")}},
			want: Manifest{Name: "nogyp", Version: "1.0.0",
				Bin: map[string]string{"evil": "etc/passwd", "ok": "bin/ok.js"}},
			fileCount: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgz := mustPack(t, tt.pkg)
			file := tt.file
			if file == "" {
				file = tt.pkg.FileName()
			}
			p, err := inspect(t, New().(format), tgz, file)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if diff := cmp.Diff(tt.want, p.Manifest); diff != "" {
				t.Errorf("manifest (-want +got):\n%s", diff)
			}
			if p.FileCount != tt.fileCount {
				t.Errorf("FileCount = %d, want %d", p.FileCount, tt.fileCount)
			}
			var whole map[string]any
			if err := json.Unmarshal(p.PackageJSON, &whole); err != nil || !cmp.Equal(whole["name"], tt.pkg.JSON["name"]) {
				t.Errorf("PackageJSON does not hold package.json: %v %s", err, p.PackageJSON)
			}
		})
	}
}

func TestInspectUnpackedSize(t *testing.T) {
	tgz := mustArchive(t, []npmgen.Entry{
		{Name: "package/package.json", Data: []byte(`{"name":"a","version":"1.0.0"}`)},
		{Name: "package/", Type: tar.TypeDir},
		{Name: "package/lib/x.js", Data: make([]byte, 1000)},
		{Name: "package/link", Type: tar.TypeSymlink, Linkname: "../../etc/passwd"},
		{Name: "README", Data: []byte("beside the folder: dropped by npm")},
	})
	p, err := inspect(t, New().(format), tgz, "a-1.0.0.tgz")
	if err != nil {
		t.Fatal(err)
	}
	if p.FileCount != 2 || p.UnpackedSize != 1030 {
		t.Errorf("FileCount, UnpackedSize = %d, %d; want 2, 1030", p.FileCount, p.UnpackedSize)
	}
}

func TestInspectErrors(t *testing.T) {
	pj := func(s string) npmgen.Entry { return npmgen.Entry{Name: "package/package.json", Data: []byte(s)} }
	good := pj(`{"name":"a","version":"1.0.0"}`)
	many := []npmgen.Entry{good}
	for i := range 101 {
		many = append(many, npmgen.Entry{Name: fmt.Sprintf("package/f%d", i), Data: []byte("x")})
	}
	bomb, _ := npmgen.Gzip(make([]byte, 8<<20)) // 8 MiB of zeros in a few kB
	notTar, _ := npmgen.Gzip([]byte("hello, this is not a tar archive at all, but it is long enough to fill a header block. " + strings.Repeat("x", 600)))
	full := mustArchive(t, []npmgen.Entry{good, {Name: "package/x", Data: make([]byte, 4096)}})
	tests := []struct {
		name string
		tgz  []byte
		file string
		want string
	}{
		{"not gzip", []byte("PK\x03\x04 a zip"), "", "not a gzip-compressed tar"},
		{"empty", nil, "", "not a gzip-compressed tar"},
		{"not a tar", notTar, "", "reading tarball"},
		{"truncated", full[:len(full)/2], "", "truncated"},
		{"bomb", bomb, "", "too large"},
		{"no package.json", mustArchive(t, []npmgen.Entry{{Name: "package/index.js", Data: []byte("1")}}), "", "no package.json"},
		{"package.json at the root", mustArchive(t, []npmgen.Entry{{Name: "package.json", Data: good.Data}}), "", "no package.json"},
		{"package.json deeper", mustArchive(t, []npmgen.Entry{{Name: "package/sub/package.json", Data: good.Data}}), "", "no package.json"},
		{"two package.json", mustArchive(t, []npmgen.Entry{good, {Name: "other/package.json", Data: good.Data}}), "", "package.json twice"},
		{"dot-dot", mustArchive(t, []npmgen.Entry{good, {Name: "package/../../evil", Data: []byte("x")}}), "", "leaves the package folder"},
		{"absolute", mustArchive(t, []npmgen.Entry{good, {Name: "/etc/evil", Data: []byte("x")}}), "", "absolute path"},
		{"too many entries", mustArchive(t, many), "", "more than 100 entries"},
		{"huge member", mustArchive(t, []npmgen.Entry{good, {Name: "package/big", Data: make([]byte, 2<<20)}}), "", "more than 1048576 bytes"},
		{"huge package.json", mustArchive(t, []npmgen.Entry{pj(`{"name":"a","version":"1.0.0","x":"` + strings.Repeat("x", 70<<10) + `"}`)}), "", "more than the 65536 allowed"},
		{"not JSON", mustArchive(t, []npmgen.Entry{pj(`{"name":`)}), "", "package.json"},
		{"JSON array", mustArchive(t, []npmgen.Entry{pj(`[1]`)}), "", "package.json"},
		{"null", mustArchive(t, []npmgen.Entry{pj(`null`)}), "", "not a JSON object"},
		{"trailing data", mustArchive(t, []npmgen.Entry{pj(`{"name":"a","version":"1.0.0"} {}`)}), "", "data after"},
		{"no name", mustArchive(t, []npmgen.Entry{pj(`{"version":"1.0.0"}`)}), "", "no name"},
		{"bad name", mustArchive(t, []npmgen.Entry{pj(`{"name":"Bad","version":"1.0.0"}`)}), "Bad-1.0.0.tgz", "capital"},
		{"no version", mustArchive(t, []npmgen.Entry{pj(`{"name":"a"}`)}), "", "no version"},
		{"loose version", mustArchive(t, []npmgen.Entry{pj(`{"name":"a","version":"v1.0.0"}`)}), "a-v1.0.0.tgz", "MAJOR.MINOR.PATCH"},
		{"bad dependencies", mustArchive(t, []npmgen.Entry{pj(`{"name":"a","version":"1.0.0","dependencies":["b"]}`)}), "", "dependencies: want an object"},
		{"bad dependency range", mustArchive(t, []npmgen.Entry{pj(`{"name":"a","version":"1.0.0","peerDependencies":{"b":1}}`)}), "", "peerDependencies"},
		{"bad bundle", mustArchive(t, []npmgen.Entry{pj(`{"name":"a","version":"1.0.0","bundleDependencies":"b"}`)}), "", "bundleDependencies"},
		{"file name", mustArchive(t, []npmgen.Entry{good}), "b-1.0.0.tgz", `want a-1.0.0.tgz`},
		{"file name version", mustArchive(t, []npmgen.Entry{good}), "a-1.0.1.tgz", `does not match`},
	}
	small := format{limits: limits{unpacked: 1 << 20, entries: 100, packageJSON: 64 << 10, stream: 4 << 20}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = "a-1.0.0.tgz"
			}
			_, err := inspect(t, small, tt.tgz, file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Inspect() error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
