package npm

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// limits bound what reading one tarball may cost. Real packages stay far
// below them; a hostile tarball hits one and gets an error instead of
// exhausting memory or time.
type limits struct {
	unpacked    int64 // sum of the sizes of the files
	entries     int   // tar entries of any kind
	packageJSON int64 // size of package.json
	stream      int64 // the decompressed tar stream, headers and padding included
}

var defaultLimits = limits{
	unpacked:    1 << 30,
	entries:     200_000,
	packageJSON: 4 << 20,
	stream:      1<<30 + 512<<20,
}

// contents is what the registry needs from a tarball besides package.json.
type contents struct {
	packageJSON   []byte
	fileCount     int
	unpackedSize  int64
	hasGypFile    bool     // a *.gyp file at the package root
	hasShrinkwrap bool     // npm-shrinkwrap.json at the package root
	files         []string // paths of every file, relative to the package root, when listed
}

// readTarball reads a gzip-compressed tar the way npm unpacks it: the first
// path component (usually "package/") is the package folder and is dropped,
// links and special files are ignored. With listFiles, it also returns every
// file's path.
func readTarball(r io.ReaderAt, size int64, lim limits, listFiles bool) (*contents, error) {
	zr, err := gzip.NewReader(bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10))
	if err != nil {
		return nil, fmt.Errorf("not a gzip-compressed tar (npm tarballs are .tgz): %w", err)
	}
	defer zr.Close()
	stream := &boundedReader{r: zr, left: lim.stream}
	tr := tar.NewReader(stream)
	c := &contents{}
	seenPackageJSON := ""
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, tarError(stream, err)
		}
		if n >= lim.entries {
			return nil, fmt.Errorf("tarball has more than %d entries", lim.entries)
		}
		rel, err := packagePath(hdr.Name)
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA {
			continue // folders, links and special files: npm creates no files from them
		}
		if hdr.Size < 0 || hdr.Size > lim.unpacked-c.unpackedSize {
			return nil, fmt.Errorf("tarball entry %q: files add up to more than %d bytes", hdr.Name, lim.unpacked)
		}
		if rel == "" {
			continue // a file beside the package folder: npm drops it
		}
		c.fileCount++
		c.unpackedSize += hdr.Size
		if listFiles {
			c.files = append(c.files, rel)
		}
		switch {
		case rel == "package.json":
			if seenPackageJSON != "" {
				return nil, fmt.Errorf("tarball holds package.json twice (%q and %q)", seenPackageJSON, hdr.Name)
			}
			seenPackageJSON = hdr.Name
			if hdr.Size > lim.packageJSON {
				return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", hdr.Name, hdr.Size, lim.packageJSON)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", hdr.Name, tarError(stream, err))
			}
			c.packageJSON = data
		case rel == "npm-shrinkwrap.json":
			c.hasShrinkwrap = true
		case !strings.Contains(rel, "/") && strings.HasSuffix(rel, ".gyp"):
			c.hasGypFile = true
		}
	}
	// The rest of the gzip stream is read too, so that its checksum is
	// verified as npm's unpacking does.
	if _, err := io.Copy(io.Discard, stream); err != nil {
		return nil, tarError(stream, err)
	}
	if seenPackageJSON == "" {
		return nil, errors.New("tarball has no package.json in its top folder (npm reads package/package.json)")
	}
	if listFiles {
		sort.Strings(c.files)
	}
	return c, nil
}

// packagePath returns the path of a tar entry inside the package folder, or
// "" for the folder itself or an entry beside it. Entries that would leave
// the folder are refused.
func packagePath(name string) (string, error) {
	clean := strings.TrimPrefix(name, "./")
	if strings.HasPrefix(clean, "/") || strings.ContainsRune(clean, 0) {
		return "", fmt.Errorf("tarball entry %q has an absolute path", name)
	}
	for _, seg := range strings.Split(clean, "/") {
		if seg == ".." {
			return "", fmt.Errorf("tarball entry %q leaves the package folder", name)
		}
	}
	_, rel, ok := strings.Cut(clean, "/")
	if !ok {
		return "", nil
	}
	rel = strings.TrimSuffix(path.Clean("/" + rel)[1:], "/")
	return rel, nil
}

// boundedReader fails once more than left bytes have been read.
type boundedReader struct {
	r    io.Reader
	left int64
	over bool
}

var errTooLarge = errors.New("decompressed tarball is too large")

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.over = true
		return 0, errTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// tarError describes an error of the tar or gzip reader.
func tarError(stream *boundedReader, err error) error {
	switch {
	case stream.over || errors.Is(err, errTooLarge):
		return errTooLarge
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("tarball is truncated")
	}
	return fmt.Errorf("reading tarball: %w", err)
}
