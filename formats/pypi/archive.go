package pypi

import (
	"archive/tar"
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/stockpile/stockpile/internal/limitio"
)

// limits bound what Inspect reads from an archive, so that a hostile one
// gets an error rather than exhausting memory or time.
type limits struct {
	members   int   // entries of an archive
	directory int64 // bytes of a zip's central directory
	unpacked  int64 // bytes a zip declares in all
	// untarred bounds the bytes a .tar.gz sdist decompresses to, all of
	// which are read: lower than unpacked, to bound the time a gzip bomb
	// takes to refuse.
	untarred int64
	metadata int64 // METADATA, PKG-INFO, WHEEL
}

var defaultLimits = limits{
	members:   100_000,
	directory: 16 << 20,
	unpacked:  8 << 30,
	untarred:  1 << 30,
	metadata:  maxMetadata,
}

// checkMemberName refuses names that are absolute or leave the archive
// when unpacked.
func checkMemberName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("entry with an empty name")
	case strings.HasPrefix(name, "/"), strings.Contains(name, "\\"), strings.ContainsRune(name, 0),
		len(name) >= 2 && name[1] == ':':
		return fmt.Errorf("entry %q is absolute or not a portable path", truncate(name, 80))
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return fmt.Errorf("entry %q leaves the archive (..)", truncate(name, 80))
		}
	}
	return nil
}

// budgetReader fails once more than n bytes have been read through it; it
// bounds the central directory zip.NewReader loads into memory.
type budgetReader struct {
	r io.ReaderAt
	n int64
}

var errDirectoryTooBig = errors.New("zip central directory is too large")

func (b *budgetReader) ReadAt(p []byte, off int64) (int, error) {
	if b.n < int64(len(p)) {
		return 0, errDirectoryTooBig
	}
	b.n -= int64(len(p))
	return b.r.ReadAt(p, off)
}

// openZip opens a zip archive and checks every entry: portable names, no
// duplicates, no links, bounded counts and sizes, and no two entries
// sharing bytes (the overlapping-entry zip bomb).
func openZip(r io.ReaderAt, size int64, lim limits) (*zip.Reader, error) {
	// The end record is looked for in the last 65 KiB; the rest is directory.
	budget := &budgetReader{r: r, n: lim.directory + 2*(65<<10)}
	zr, err := zip.NewReader(budget, size)
	if errors.Is(err, errDirectoryTooBig) {
		return nil, fmt.Errorf("zip central directory is larger than %d MiB", lim.directory>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("not a zip archive: %w", err)
	}
	budget.n = 1 << 62 // the directory is read; entries are bounded below
	if len(zr.File) > lim.members {
		return nil, fmt.Errorf("zip has %d entries, more than the limit of %d", len(zr.File), lim.members)
	}
	seen := make(map[string]bool, len(zr.File))
	var total uint64
	type span struct {
		start, end int64
		name       string
	}
	spans := make([]span, 0, len(zr.File))
	for _, f := range zr.File {
		if err := checkMemberName(f.Name); err != nil {
			return nil, err
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("entry %q appears twice", truncate(f.Name, 80))
		}
		seen[f.Name] = true
		if f.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("entry %q is a symbolic link; archives with links are refused", truncate(f.Name, 80))
		}
		total += f.UncompressedSize64
		if f.UncompressedSize64 > uint64(lim.unpacked) || total > uint64(lim.unpacked) {
			return nil, fmt.Errorf("zip declares more than %d MiB of unpacked data", lim.unpacked>>20)
		}
		off, err := f.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", truncate(f.Name, 80), err)
		}
		if f.CompressedSize64 > uint64(size) || off > size-int64(f.CompressedSize64) {
			return nil, fmt.Errorf("entry %q claims more bytes than the file holds", truncate(f.Name, 80))
		}
		spans = append(spans, span{off, off + int64(f.CompressedSize64), f.Name})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		// Each entry's local header (30 bytes and the name) lies between
		// the previous entry's data and its own.
		if spans[i-1].end+30+int64(len(spans[i].name)) > spans[i].start {
			return nil, fmt.Errorf("entries %q and %q overlap (a zip bomb?)", truncate(spans[i-1].name, 80), truncate(spans[i].name, 80))
		}
	}
	return zr, nil
}

// readZipMember reads one entry whose declared size is at most max, and
// checks that it holds exactly as many bytes as declared.
func readZipMember(f *zip.File, max int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("%s is %d bytes, more than the limit of %d", f.Name, f.UncompressedSize64, max)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	switch {
	case errors.Is(err, zip.ErrFormat):
		return nil, fmt.Errorf("%s holds more than the %d bytes it declares", f.Name, f.UncompressedSize64)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%s holds fewer than the %d bytes it declares", f.Name, f.UncompressedSize64)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	if uint64(len(data)) != f.UncompressedSize64 {
		return nil, fmt.Errorf("%s declares %d bytes but holds %d", f.Name, f.UncompressedSize64, len(data))
	}
	return data, nil
}

var wheelVersion = regexp.MustCompile(`^1(\.[0-9]+)*$`)

// readWheel returns the METADATA of a wheel and checks what pip checks
// before installing it: one .dist-info folder named for the project, and a
// WHEEL file of format version 1.
func readWheel(r io.ReaderAt, size int64, lim limits) (metadata []byte, m *Metadata, err error) {
	zr, err := openZip(r, size, lim)
	if err != nil {
		return nil, nil, err
	}
	var infoDirs []string
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
		top, _, nested := strings.Cut(f.Name, "/")
		if nested && strings.HasSuffix(top, ".dist-info") && !contains(infoDirs, top) {
			infoDirs = append(infoDirs, top)
		}
	}
	switch len(infoDirs) {
	case 0:
		return nil, nil, fmt.Errorf("wheel has no .dist-info folder")
	case 1:
	default:
		sort.Strings(infoDirs)
		return nil, nil, fmt.Errorf("wheel has %d .dist-info folders (%s), want one", len(infoDirs), strings.Join(infoDirs, ", "))
	}
	info := infoDirs[0]
	mf, wf := files[info+"/METADATA"], files[info+"/WHEEL"]
	if mf == nil || wf == nil {
		return nil, nil, fmt.Errorf("wheel's %s folder lacks METADATA or WHEEL", info)
	}
	wheel, err := readZipMember(wf, lim.metadata)
	if err != nil {
		return nil, nil, err
	}
	wm, err := ParseMetadata(wheel)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", wf.Name, err)
	}
	if v := strings.TrimSpace(wm.Get("Wheel-Version")); !wheelVersion.MatchString(v) {
		return nil, nil, fmt.Errorf("%s: Wheel-Version %q is not 1.x", wf.Name, truncate(v, 40))
	}
	metadata, err = readZipMember(mf, lim.metadata)
	if err != nil {
		return nil, nil, err
	}
	m, err = ParseMetadata(metadata)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", mf.Name, err)
	}
	name, version, _, err := m.core()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", mf.Name, err)
	}
	dirName, dirVersion, ok := strings.Cut(strings.TrimSuffix(info, ".dist-info"), "-")
	if !ok || Normalize(dirName) != Normalize(name) {
		return nil, nil, fmt.Errorf("folder %s is not named for project %s", info, name)
	}
	dv, err := ParseVersion(strings.ReplaceAll(dirVersion, "_", "-"))
	if err != nil {
		return nil, nil, fmt.Errorf("folder %s: %w", info, err)
	}
	if mv, _ := ParseVersion(version); dv.Compare(mv) != 0 {
		return nil, nil, fmt.Errorf("folder %s is not named for version %s", info, version)
	}
	return metadata, m, nil
}

// sdistPKGInfo picks the PKG-INFO of an sdist among the entries at
// <folder>/PKG-INFO: the one in <stem>/, else the only one.
type sdistPKGInfo struct {
	stem   string
	exact  []byte
	other  []byte
	others int
}

func (s *sdistPKGInfo) candidate(name string) (exact, isCandidate bool) {
	top, rest, ok := strings.Cut(name, "/")
	if !ok || rest != "PKG-INFO" {
		return false, false
	}
	return top == s.stem, true
}

func (s *sdistPKGInfo) result() ([]byte, error) {
	switch {
	case s.exact != nil:
		return s.exact, nil
	case s.others == 1:
		return s.other, nil
	case s.others > 1:
		return nil, fmt.Errorf("sdist has %d PKG-INFO files and none at %s/PKG-INFO", s.others, s.stem)
	}
	return nil, fmt.Errorf("sdist has no PKG-INFO in its top folder (%s/PKG-INFO)", s.stem)
}

// readSdistZip returns the PKG-INFO of a .zip sdist.
func readSdistZip(r io.ReaderAt, size int64, stem string, lim limits) ([]byte, error) {
	zr, err := openZip(r, size, lim)
	if err != nil {
		return nil, err
	}
	pick := &sdistPKGInfo{stem: stem}
	for _, f := range zr.File {
		exact, ok := pick.candidate(f.Name)
		if !ok {
			continue
		}
		data, err := readZipMember(f, lim.metadata)
		if err != nil {
			return nil, err
		}
		if exact {
			pick.exact = data
		} else {
			pick.others++
			pick.other = data
		}
	}
	return pick.result()
}

// readSdistTar returns the PKG-INFO of a .tar.gz sdist. It reads the whole
// archive, checking every entry: portable names, regular files and folders
// only (older pip versions follow links when unpacking), bounded count and
// size.
func readSdistTar(r io.ReaderAt, size int64, stem string, lim limits) ([]byte, error) {
	zr, err := gzip.NewReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(limitio.Reader(zr, lim.untarred, "sdist"))
	pick := &sdistPKGInfo{stem: stem}
	seen := map[string]bool{}
	for n := 1; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("tar: %w", err)
		}
		if n > lim.members {
			return nil, fmt.Errorf("sdist has more than %d entries", lim.members)
		}
		if err := checkMemberName(h.Name); err != nil {
			return nil, err
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeDir, tar.TypeXGlobalHeader:
		case tar.TypeSymlink, tar.TypeLink:
			return nil, fmt.Errorf("entry %q is a link (to %q); sdists with links are refused: older pip versions follow them when unpacking",
				truncate(h.Name, 80), truncate(h.Linkname, 80))
		default:
			return nil, fmt.Errorf("entry %q is not a regular file or folder (type %q)", truncate(h.Name, 80), h.Typeflag)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(h.Name)
		if seen[name] {
			return nil, fmt.Errorf("entry %q appears twice", truncate(h.Name, 80))
		}
		seen[name] = true
		exact, ok := pick.candidate(name)
		if !ok {
			continue
		}
		if h.Size > lim.metadata {
			return nil, fmt.Errorf("%s is %d bytes, more than the limit of %d", h.Name, h.Size, lim.metadata)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		if exact {
			pick.exact = data
		} else if pick.others++; pick.others == 1 {
			pick.other = data
		}
	}
	return pick.result()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
