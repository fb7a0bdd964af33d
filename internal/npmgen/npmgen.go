// Package npmgen writes npm package tarballs in pure Go, the way `npm pack`
// lays them out, for tests, fuzz seeds, benchmark corpora and examples. Its
// output depends on its input alone: fixed times and owners, entries in
// sorted order.
package npmgen

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// MTime is the modification time npm pack gives every entry.
var MTime = time.Date(1985, 10, 26, 8, 15, 0, 0, time.UTC)

// Entry is one raw tar entry, for tarballs that npm pack would never write.
type Entry struct {
	Name     string
	Type     byte // tar.TypeReg when zero
	Mode     int64
	Data     []byte
	Linkname string
	// Size overrides the header size when not zero (Data is still what is
	// written), for truncated or lying archives.
	Size int64
}

// Archive returns the entries as a gzip-compressed tar.
func Archive(entries []Entry) ([]byte, error) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for _, e := range entries {
		h := &tar.Header{
			Name:     e.Name,
			Typeflag: e.Type,
			Mode:     e.Mode,
			Size:     int64(len(e.Data)),
			Linkname: e.Linkname,
			ModTime:  MTime,
			Format:   tar.FormatUSTAR,
		}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if len(e.Name) > 100 {
			h.Format = tar.FormatPAX
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("tar entry %q: %w", e.Name, err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			return nil, fmt.Errorf("tar entry %q: %w", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return Gzip(tarBuf.Bytes())
}

// Gzip compresses data without a name or time in the header.
func Gzip(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Package describes a package to pack.
type Package struct {
	// JSON is package.json; it must hold name and version.
	JSON map[string]any
	// Files are the other files, by path inside the package folder. Paths
	// ending in a command's name under bin/ are made executable.
	Files map[string][]byte
	// Folder is the top folder of the tarball; "package" when empty.
	Folder string
}

// Name returns the package's name from its package.json.
func (p Package) Name() string { s, _ := p.JSON["name"].(string); return s }

// Version returns the package's version from its package.json.
func (p Package) Version() string { s, _ := p.JSON["version"].(string); return s }

// FileName returns the file name npm pack gives the tarball:
// "name-1.0.0.tgz", or "scope-name-1.0.0.tgz" for "@scope/name".
func (p Package) FileName() string {
	return FileName(p.Name(), p.Version())
}

// FileName returns the file name npm pack gives a version's tarball.
func FileName(name, version string) string {
	return strings.ReplaceAll(strings.TrimPrefix(name, "@"), "/", "-") + "-" + version + ".tgz"
}

// Build returns the tarball: package.json first, then the files in sorted
// order, under the top folder.
func (p Package) Build() ([]byte, error) {
	folder := p.Folder
	if folder == "" {
		folder = "package"
	}
	pj, err := json.MarshalIndent(p.JSON, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	entries := []Entry{{Name: folder + "/package.json", Data: append(pj, '\n')}}
	names := make([]string, 0, len(p.Files))
	for n := range p.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		mode := int64(0o644)
		if strings.HasPrefix(n, "bin/") {
			mode = 0o755
		}
		entries = append(entries, Entry{Name: folder + "/" + n, Mode: mode, Data: p.Files[n]})
	}
	return Archive(entries)
}
