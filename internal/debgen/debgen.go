// Package debgen writes Debian binary packages (.deb) in pure Go, for tests,
// fuzz seeds, benchmark corpora and examples. Its output depends on its input
// alone: fixed times and owners, entries in sorted order.
package debgen

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// MTime is the modification time (Unix seconds) of every member and entry.
const MTime = 1700000000

// Compression is how a tar member of the .deb is compressed.
type Compression string

// The compressions dpkg reads. The zero value means gzip.
const (
	Gzip Compression = "gz"
	XZ   Compression = "xz"
	Zstd Compression = "zst"
	None Compression = "none"
)

// Ext returns the member name suffix for c: ".gz", ".xz", ".zst" or "".
func (c Compression) Ext() string {
	switch c {
	case "", Gzip:
		return ".gz"
	case None:
		return ""
	default:
		return "." + string(c)
	}
}

// Field is one extra control field.
type Field struct {
	Name, Value string
}

// Control holds the fields of a binary package's control file. Empty fields
// are left out.
type Control struct {
	Package       string
	Source        string
	Version       string
	Architecture  string
	Maintainer    string
	InstalledSize int64 // KiB; 0 leaves the field out
	Depends       string
	Section       string
	Priority      string
	Homepage      string
	// Extra fields are written in order after the others, before Description.
	Extra []Field
	// Description is the synopsis, then optionally "\n" and the long
	// description; its lines are indented and empty ones become " .".
	Description string
}

// Text returns the control file as written into control.tar.
func (c Control) Text() string {
	var b strings.Builder
	add := func(name, value string) {
		if value != "" {
			b.WriteString(name + ": " + value + "\n")
		}
	}
	add("Package", c.Package)
	add("Source", c.Source)
	add("Version", c.Version)
	add("Architecture", c.Architecture)
	add("Maintainer", c.Maintainer)
	if c.InstalledSize != 0 {
		add("Installed-Size", strconv.FormatInt(c.InstalledSize, 10))
	}
	add("Depends", c.Depends)
	add("Section", c.Section)
	add("Priority", c.Priority)
	add("Homepage", c.Homepage)
	for _, f := range c.Extra {
		add(f.Name, f.Value)
	}
	if c.Description != "" {
		synopsis, long, _ := strings.Cut(c.Description, "\n")
		b.WriteString("Description: " + synopsis + "\n")
		if long != "" {
			for _, line := range strings.Split(long, "\n") {
				if strings.TrimSpace(line) == "" {
					line = "."
				}
				b.WriteString(" " + line + "\n")
			}
		}
	}
	return b.String()
}

// Options chooses how a package is built. The zero value builds like
// dpkg-deb's defaults of old: gzip for both members.
type Options struct {
	Control Compression // compression of control.tar
	Data    Compression // compression of data.tar
	// RawControl, if not nil, is written as the control file instead of
	// the Control's text (for malformed packages).
	RawControl []byte
}

// Build returns a .deb with control c and the given files (paths relative to
// the root, e.g. "usr/bin/hello"), with gzip-compressed members.
func Build(c Control, files map[string][]byte) ([]byte, error) {
	return Options{}.Build(c, files)
}

// Build returns a .deb with control c and the given files.
func (o Options) Build(c Control, files map[string][]byte) ([]byte, error) {
	control := o.RawControl
	if control == nil {
		control = []byte(c.Text())
	}
	names := make([]string, 0, len(files))
	for name := range files {
		clean := strings.TrimPrefix(path.Clean("/"+name), "/")
		if clean == "" || clean != strings.TrimPrefix(name, "./") {
			return nil, fmt.Errorf("debgen: file name %q is not a clean relative path", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)

	var md5sums strings.Builder
	for _, name := range names {
		sum := md5.Sum(files[name])
		md5sums.WriteString(hex.EncodeToString(sum[:]) + "  " + strings.TrimPrefix(name, "./") + "\n")
	}
	ctrlEntries := []Entry{
		{Name: "./", Type: tar.TypeDir},
		{Name: "./control", Data: control},
	}
	if len(names) > 0 {
		ctrlEntries = append(ctrlEntries, Entry{Name: "./md5sums", Data: []byte(md5sums.String())})
	}
	ctrl, err := Tar(ctrlEntries, o.Control)
	if err != nil {
		return nil, err
	}
	data, err := Tar(dataEntries(names, files), o.Data)
	if err != nil {
		return nil, err
	}
	return Ar(
		Member{Name: "debian-binary", Data: []byte("2.0\n")},
		Member{Name: "control.tar" + o.Control.Ext(), Data: ctrl},
		Member{Name: "data.tar" + o.Data.Ext(), Data: data},
	), nil
}

// dataEntries lists every file with its parent folders, in sorted order.
func dataEntries(names []string, files map[string][]byte) []Entry {
	dirs := map[string]bool{"./": true}
	for _, name := range names {
		name = strings.TrimPrefix(name, "./")
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			dirs["./"+d+"/"] = true
		}
	}
	var entries []Entry
	for d := range dirs {
		entries = append(entries, Entry{Name: d, Type: tar.TypeDir})
	}
	for _, name := range names {
		mode := int64(0o644)
		if strings.Contains(name, "bin/") {
			mode = 0o755
		}
		entries = append(entries, Entry{Name: "./" + strings.TrimPrefix(name, "./"), Data: files[name], Mode: mode})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries
}

// Member is one member of an ar archive.
type Member struct {
	Name string
	Data []byte
}

// Ar returns an ar archive of the members, as dpkg-deb writes it. Names
// longer than 16 bytes are truncated.
func Ar(members ...Member) []byte {
	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	for _, m := range members {
		fmt.Fprintf(&b, "%-16.16s%-12d%-6d%-6d%-8s%-10d`\n", m.Name, MTime, 0, 0, "100644", len(m.Data))
		b.Write(m.Data)
		if len(m.Data)%2 == 1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// Entry is one entry of a tar archive. Type defaults to a regular file, Mode
// to 0644 (0755 for folders).
type Entry struct {
	Name     string
	Type     byte
	Data     []byte
	Linkname string
	Mode     int64
}

// Tar returns a tar archive of the entries, in the given order, compressed
// with c.
func Tar(entries []Entry, c Compression) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{
			Name:     e.Name,
			Typeflag: e.Type,
			Linkname: e.Linkname,
			Mode:     e.Mode,
			ModTime:  time.Unix(MTime, 0),
			Uname:    "root",
			Gname:    "root",
			Format:   tar.FormatGNU,
		}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("debgen: tar entry %q: %w", e.Name, err)
		}
		if len(e.Data) > 0 {
			if _, err := tw.Write(e.Data); err != nil {
				return nil, fmt.Errorf("debgen: tar entry %q: %w", e.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return Compress(b.Bytes(), c)
}

// Compress returns data compressed with c.
func Compress(data []byte, c Compression) ([]byte, error) {
	var b bytes.Buffer
	var w io.WriteCloser
	var err error
	switch c {
	case None:
		return data, nil
	case "", Gzip:
		w, err = gzip.NewWriterLevel(&b, gzip.BestCompression)
	case XZ:
		w, err = xz.NewWriter(&b)
	case Zstd:
		w, err = zstd.NewWriter(&b, zstd.WithEncoderConcurrency(1))
	default:
		return nil, fmt.Errorf("debgen: unknown compression %q", c)
	}
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
