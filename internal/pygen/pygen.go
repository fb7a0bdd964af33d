// Package pygen writes Python distributions — wheels and sdists — in pure Go,
// for tests, fuzz seeds, benchmark corpora and examples. Its output depends on
// its input alone: fixed times and owners, entries in sorted order.
//
// The sdists it writes carry a tiny in-tree PEP 517 build backend with no
// requirements, so pip can build and install them without reaching any
// index for setuptools.
package pygen

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"time"
)

// MTime is the modification time of every archive entry.
var MTime = time.Unix(1700000000, 0).UTC()

// Project describes one release of a pure-Python project.
type Project struct {
	Name           string // as written in METADATA, e.g. "Stockpile.Greeting"
	Version        string // as written in METADATA, e.g. "1.2+demo"
	Summary        string
	RequiresPython string   // e.g. ">=3.7"; empty leaves the field out
	RequiresDist   []string // e.g. "stockpile-greeting>=1.0"
	// Extra header lines written after the others, e.g. "License: MIT".
	Extra       []string
	Description string // the body after the headers; empty leaves it out
	// Files are the importable sources, by path relative to the wheel root
	// (or the sdist's top folder). Empty means one module, <module>/__init__.py,
	// that records its version.
	Files map[string][]byte
}

// Normalize returns the PEP 503 normalized form of a project name.
func Normalize(name string) string {
	return strings.ToLower(separators.ReplaceAllString(name, "-"))
}

var separators = regexp.MustCompile(`[-_.]+`)

// DistName is the name as file names spell it (PEP 427/625): runs of
// '-', '_' and '.' become one '_', lowercase.
func (p Project) DistName() string {
	return strings.ReplaceAll(Normalize(p.Name), "-", "_")
}

// fileVersion is the version as file names spell it: no '-'.
func (p Project) fileVersion() string { return strings.ReplaceAll(p.Version, "-", "_") }

// Module is the import name of the default module.
func (p Project) Module() string { return p.DistName() }

// WheelName returns the wheel's file name (py3-none-any).
func (p Project) WheelName() string {
	return p.DistName() + "-" + p.fileVersion() + "-py3-none-any.whl"
}

// SdistName returns the .tar.gz sdist's file name.
func (p Project) SdistName() string { return p.DistName() + "-" + p.fileVersion() + ".tar.gz" }

// SdistZipName returns the .zip sdist's file name.
func (p Project) SdistZipName() string { return p.DistName() + "-" + p.fileVersion() + ".zip" }

func (p Project) distInfo() string { return p.DistName() + "-" + p.fileVersion() + ".dist-info" }

// Metadata returns the core metadata (METADATA, PKG-INFO) of the project.
func (p Project) Metadata() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", p.Name, p.Version)
	if p.Summary != "" {
		fmt.Fprintf(&b, "Summary: %s\n", p.Summary)
	}
	if p.RequiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", p.RequiresPython)
	}
	for _, r := range p.RequiresDist {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	for _, x := range p.Extra {
		b.WriteString(x + "\n")
	}
	if p.Description != "" {
		b.WriteString("\n" + p.Description)
		if !strings.HasSuffix(p.Description, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func (p Project) sources() map[string][]byte {
	if len(p.Files) > 0 {
		return p.Files
	}
	return map[string][]byte{
		p.Module() + "/__init__.py": []byte(fmt.Sprintf("__version__ = %q\n", p.Version)),
	}
}

// wheelFile is the WHEEL file of every wheel pygen writes.
const wheelFile = "Wheel-Version: 1.0\nGenerator: stockpile-pygen\nRoot-Is-Purelib: true\nTag: py3-none-any\n"

// Wheel returns a pure-Python wheel: the sources, then METADATA, WHEEL and
// RECORD in the .dist-info folder.
func (p Project) Wheel() ([]byte, error) {
	var entries []Entry
	for _, name := range sortedKeys(p.sources()) {
		entries = append(entries, Entry{Name: name, Data: p.sources()[name]})
	}
	di := p.distInfo()
	entries = append(entries,
		Entry{Name: di + "/METADATA", Data: p.Metadata()},
		Entry{Name: di + "/WHEEL", Data: []byte(wheelFile)},
	)
	var record strings.Builder
	for _, e := range entries {
		sum := sha256.Sum256(e.Data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", e.Name, base64.RawURLEncoding.EncodeToString(sum[:]), len(e.Data))
	}
	record.WriteString(di + "/RECORD,,\n")
	entries = append(entries, Entry{Name: di + "/RECORD", Data: []byte(record.String())})
	return Zip(entries)
}

// Sdist returns a .tar.gz source distribution with PKG-INFO, a pyproject.toml
// naming the in-tree backend, the backend and the sources, all under
// <dist>-<version>/.
func (p Project) Sdist() ([]byte, error) { return TarGz(p.sdistEntries()) }

// SdistZip returns the same source distribution as a .zip.
func (p Project) SdistZip() ([]byte, error) { return Zip(p.sdistEntries()) }

func (p Project) sdistEntries() []Entry {
	top := p.DistName() + "-" + p.fileVersion() + "/"
	src := p.sources()
	names := sortedKeys(src)
	var list strings.Builder
	for _, n := range names {
		fmt.Fprintf(&list, "    %q,\n", n)
	}
	backend := fmt.Sprintf(backendSource, p.DistName(), p.fileVersion(), list.String(), wheelFile)
	entries := []Entry{
		{Name: top + "PKG-INFO", Data: p.Metadata()},
		{Name: top + "pyproject.toml", Data: []byte(pyproject)},
		{Name: top + "stockpile_backend.py", Data: []byte(backend)},
	}
	for _, n := range names {
		entries = append(entries, Entry{Name: top + n, Data: src[n]})
	}
	return entries
}

const pyproject = `[build-system]
requires = []
build-backend = "stockpile_backend"
backend-path = ["."]
`

// backendSource is a PEP 517 backend with no requirements that packs the
// listed sources and PKG-INFO into a pure-Python wheel.
const backendSource = `"""In-tree PEP 517 build backend: packs the sources into a wheel."""
import base64
import hashlib
import os
import zipfile

DIST = %q
VERSION = %q
SOURCES = [
%s]
WHEEL = %q


def _dist_info():
    return "%%s-%%s.dist-info" %% (DIST, VERSION)


def _metadata():
    with open("PKG-INFO", "rb") as f:
        return f.read()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    d = os.path.join(metadata_directory, _dist_info())
    if not os.path.isdir(d):
        os.makedirs(d)
    with open(os.path.join(d, "METADATA"), "wb") as f:
        f.write(_metadata())
    with open(os.path.join(d, "WHEEL"), "w") as f:
        f.write(WHEEL)
    return _dist_info()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "%%s-%%s-py3-none-any.whl" %% (DIST, VERSION)
    entries = []
    for path in SOURCES:
        with open(path, "rb") as f:
            entries.append((path, f.read()))
    entries.append((_dist_info() + "/METADATA", _metadata()))
    entries.append((_dist_info() + "/WHEEL", WHEEL.encode()))
    record = ""
    for path, data in entries:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += "%%s,sha256=%%s,%%d\n" %% (path, digest, len(data))
    record += _dist_info() + "/RECORD,,\n"
    entries.append((_dist_info() + "/RECORD", record.encode()))
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in entries:
            z.writestr(path, data)
    return name
`

// Entry is one member of an archive. Tests use it to write hostile archives:
// any name, a symlink (Link set), or a declared size other than len(Data).
type Entry struct {
	Name string
	Data []byte
	Mode fs.FileMode // 0 means 0644 (0755 for folders)
	Link string      // symlink target; the entry is a symlink when set
	// Store keeps the data uncompressed in a zip.
	Store bool
}

// Zip returns a deterministic zip archive of entries, in the order given.
func Zip(entries []Entry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: MTime}
		if e.Store {
			h.Method = zip.Store
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
		}
		data := e.Data
		if e.Link != "" {
			mode |= fs.ModeSymlink
			data = []byte(e.Link)
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("zip entry %q: %w", e.Name, err)
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Tar returns a deterministic tar archive of entries, in the order given.
// Names ending in "/" are folders.
func Tar(entries []Entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, ModTime: MTime, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		mode := int64(e.Mode.Perm())
		switch {
		case e.Link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Link
			if mode == 0 {
				mode = 0o777
			}
		case strings.HasSuffix(e.Name, "/"):
			h.Typeflag = tar.TypeDir
			if mode == 0 {
				mode = 0o755
			}
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Data))
			if mode == 0 {
				mode = 0o644
			}
		}
		h.Mode = mode
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("tar entry %q: %w", e.Name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.Data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TarGz returns Tar(entries), gzip-compressed with a fixed header.
func TarGz(entries []Entry) ([]byte, error) {
	t, err := Tar(entries)
	if err != nil {
		return nil, err
	}
	return Gzip(t), nil
}

// Gzip compresses data with a header that carries no time or name.
func Gzip(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func sortedKeys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
