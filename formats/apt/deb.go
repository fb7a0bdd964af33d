package apt

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/stockpile/stockpile/internal/limitio"
)

const (
	arMagic      = "!<arch>\n"
	arHeaderSize = 60
)

// arMember is one member of the .deb's ar archive.
type arMember struct {
	name   string
	offset int64 // of the data
	size   int64
}

// arReader walks the members of an ar archive without reading their data.
type arReader struct {
	r    io.ReaderAt
	size int64
	next int64 // offset of the next header
	n    int   // members read so far
}

// Next returns the next member, or io.EOF at the end of the archive.
func (a *arReader) Next() (arMember, error) {
	if a.next >= a.size {
		return arMember{}, io.EOF
	}
	a.n++
	var h [arHeaderSize]byte
	if a.size-a.next < arHeaderSize {
		return arMember{}, fmt.Errorf("ar member %d: truncated header at offset %d", a.n, a.next)
	}
	if _, err := a.r.ReadAt(h[:], a.next); err != nil {
		return arMember{}, fmt.Errorf("ar member %d: reading header: %w", a.n, err)
	}
	if string(h[58:60]) != "`\n" {
		return arMember{}, fmt.Errorf("ar member %d: bad header at offset %d", a.n, a.next)
	}
	name := strings.TrimRight(string(h[0:16]), " ")
	name = strings.TrimSuffix(name, "/") // GNU ar ends names with a slash
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r > '~' || r == '/' }) {
		return arMember{}, fmt.Errorf("ar member %d: invalid name %q", a.n, strings.TrimRight(string(h[0:16]), " "))
	}
	sizeField := strings.TrimRight(string(h[48:58]), " ")
	if sizeField == "" || strings.Trim(sizeField, "0123456789") != "" {
		return arMember{}, fmt.Errorf("ar member %d (%s): invalid size %q", a.n, name, sizeField)
	}
	msize, err := strconv.ParseInt(sizeField, 10, 64)
	if err != nil {
		return arMember{}, fmt.Errorf("ar member %d (%s): invalid size %q", a.n, name, sizeField)
	}
	m := arMember{name: name, offset: a.next + arHeaderSize, size: msize}
	if remain := a.size - m.offset; msize > remain {
		return arMember{}, fmt.Errorf("ar member %d (%s) claims %d bytes but only %d remain in the file", a.n, name, msize, remain)
	}
	a.next = m.offset + msize + msize%2
	return m, nil
}

// readControl returns the control file of the .deb in r.
func readControl(r io.ReaderAt, size, maxTar int64) ([]byte, error) {
	var magic [len(arMagic)]byte
	if size < int64(len(arMagic)) {
		return nil, fmt.Errorf("not a Debian package: %d bytes is too short", size)
	}
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil, fmt.Errorf("reading ar header: %w", err)
	}
	if string(magic[:]) != arMagic {
		return nil, fmt.Errorf("not a Debian package: no ar archive header")
	}
	ar := &arReader{r: r, size: size, next: int64(len(arMagic))}

	m, err := ar.Next()
	if err == io.EOF {
		return nil, fmt.Errorf("not a Debian package: empty ar archive")
	}
	if err != nil {
		return nil, err
	}
	if m.name != "debian-binary" {
		return nil, fmt.Errorf("not a Debian package: first member is %q, want debian-binary", m.name)
	}
	if m.size > 64 {
		return nil, fmt.Errorf("debian-binary: %d bytes is too long for a format version", m.size)
	}
	version := make([]byte, m.size)
	if _, err := r.ReadAt(version, m.offset); err != nil {
		return nil, fmt.Errorf("debian-binary: %w", err)
	}
	if !bytes.HasPrefix(version, []byte("2.")) {
		return nil, fmt.Errorf("debian-binary: unsupported package format version %q (want 2.x)", version)
	}

	control, err := nextMember(ar, "control.tar")
	if err != nil {
		return nil, err
	}
	if _, err := nextMember(ar, "data.tar"); err != nil {
		return nil, err
	}
	return readControlTar(r, control, maxTar)
}

// nextMember returns the next member, whose name must be prefix plus a
// compression suffix dpkg knows. Members whose name starts with '_' are
// skipped, as dpkg does.
func nextMember(ar *arReader, prefix string) (arMember, error) {
	for {
		m, err := ar.Next()
		if err == io.EOF {
			return arMember{}, fmt.Errorf("not a Debian package: no %s member", prefix)
		}
		if err != nil {
			return arMember{}, err
		}
		if strings.HasPrefix(m.name, "_") {
			continue
		}
		switch strings.TrimPrefix(m.name, prefix) {
		case "", ".gz", ".xz", ".zst":
			if strings.HasPrefix(m.name, prefix) {
				return m, nil
			}
		case ".bz2", ".lzma":
			if prefix == "data.tar" && strings.HasPrefix(m.name, prefix) {
				return m, nil
			}
		}
		return arMember{}, fmt.Errorf("not a Debian package: member %d is %q, want %s", ar.n, m.name, prefix)
	}
}

// readControlTar decompresses control.tar and returns its control file.
func readControlTar(r io.ReaderAt, m arMember, maxTar int64) ([]byte, error) {
	sr := io.NewSectionReader(r, m.offset, m.size)
	var in io.Reader
	switch path.Ext(m.name) {
	case ".gz":
		zr, err := gzip.NewReader(sr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		defer zr.Close()
		in = zr
	case ".xz":
		if err := checkXZDict(sr); err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		zr, err := xz.NewReader(sr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		in = zr
	case ".zst":
		zr, err := zstd.NewReader(sr,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(uint64(max(maxTar, zstd.MinWindowSize))),
			zstd.WithDecoderMaxMemory(uint64(maxTar)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		defer zr.Close()
		in = zr
	default:
		in = sr
	}

	tr := tar.NewReader(limitio.Reader(in, maxTar, "control.tar"))
	var control []byte
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.name, err)
		}
		name := h.Name
		if strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || hasDotDot(name) {
			return nil, fmt.Errorf("%s: entry %q is absolute or leaves the archive", m.name, name)
		}
		if strings.TrimSuffix(path.Clean(name), "/") != "control" {
			continue
		}
		switch h.Typeflag {
		case tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			return nil, fmt.Errorf("%s: control is a link (to %q), want a regular file", m.name, h.Linkname)
		default:
			return nil, fmt.Errorf("%s: control is not a regular file (type %q)", m.name, h.Typeflag)
		}
		if found {
			return nil, fmt.Errorf("%s: holds two control files", m.name)
		}
		if h.Size > maxControlFile {
			return nil, fmt.Errorf("%s: control file is %d bytes, more than the limit of %d", m.name, h.Size, maxControlFile)
		}
		control, err = io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: control: %w", m.name, err)
		}
		found = true
	}
	if !found {
		return nil, fmt.Errorf("%s: no control file", m.name)
	}
	return control, nil
}

func hasDotDot(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}

// maxXZDict bounds the dictionary an xz stream may ask for: the xz reader
// allocates it up front, and xz -9 uses 64 MiB.
const maxXZDict = 64 << 20

// checkXZDict refuses an xz stream whose first block asks for a dictionary
// larger than maxXZDict. Later blocks are not checked: dpkg writes one.
func checkXZDict(r io.ReaderAt) error {
	var buf [12 + 1024]byte
	n, err := r.ReadAt(buf[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	b := buf[:n]
	// Stream header (12 bytes), then the first block header: its size,
	// flags, optional sizes, then the filter flags.
	if len(b) < 14 || b[12] == 0 {
		return nil // not xz, or no block: the reader reports it
	}
	hsize := (int(b[12]) + 1) * 4
	if len(b) < 12+hsize {
		return nil
	}
	h := b[13 : 12+hsize]
	flags := h[0]
	h = h[1:]
	readVarint := func() (uint64, bool) {
		var v uint64
		for i := 0; i < 9 && i < len(h); i++ {
			v |= uint64(h[i]&0x7f) << (7 * i)
			if h[i]&0x80 == 0 {
				h = h[i+1:]
				return v, true
			}
		}
		return 0, false
	}
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			if _, ok := readVarint(); !ok {
				return nil
			}
		}
	}
	for i := 0; i <= int(flags&3); i++ {
		id, ok1 := readVarint()
		psize, ok2 := readVarint()
		if !ok1 || !ok2 || uint64(len(h)) < psize {
			return nil
		}
		props := h[:psize]
		h = h[psize:]
		if id == 0x21 && psize == 1 {
			if dict := lzma2Dict(props[0]); dict > maxXZDict {
				return fmt.Errorf("xz dictionary of %d MiB is larger than the limit of %d MiB", dict>>20, maxXZDict>>20)
			}
		}
	}
	return nil
}

// lzma2Dict decodes the dictionary size byte of the LZMA2 filter.
func lzma2Dict(c byte) int64 {
	if c >= 40 {
		return 1<<32 - 1
	}
	return int64(2|c&1) << (c/2 + 11)
}
