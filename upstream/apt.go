package upstream

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/stockpile/stockpile/config"
)

// listApt reads an apt archive the way apt does: InRelease (or Release and
// Release.gpg) checked against the configured key, each Packages index
// checked against Release's SHA256, and each .deb's SHA256 from Packages.
// apt lists no publish time per package, so every version takes the
// Release Date as its publish time.
func listApt(ctx context.Context, src Source, repo *config.Repository) ([]Candidate, error) {
	u := repo.Upstream
	keyring, err := readKeyring(src, u.Key)
	if err != nil {
		return nil, err
	}
	dist := u.URL + "/dists/" + u.Suite + "/"
	release, err := signedRelease(ctx, src, dist, keyring)
	if err != nil {
		return nil, err
	}
	fields, sums := parseRelease(release)
	if vu := fields["Valid-Until"]; vu != "" {
		t, err := parseAptDate(vu)
		if err != nil {
			return nil, fmt.Errorf("%sInRelease: Valid-Until %q: %w", dist, vu, err)
		}
		if src.Now.After(t) {
			return nil, fmt.Errorf("%sRelease expired at %s (Valid-Until): %w", dist, t.Format(time.RFC3339), ErrVerification)
		}
	}
	var published time.Time
	if d := fields["Date"]; d != "" {
		published, _ = parseAptDate(d)
	}
	archs := u.Architectures
	if len(archs) == 0 && repo.Apt != nil {
		archs = repo.Apt.Architectures
	}
	var out []Candidate
	seen := map[string]bool{}
	for _, arch := range archs {
		index := u.Component + "/binary-" + arch + "/Packages"
		data, indexURL, err := fetchPackages(ctx, src, dist, index, sums)
		if err != nil {
			return nil, err
		}
		for _, st := range parseStanzas(data) {
			name := st["Package"]
			if !wanted(u, name, identity) || st["Filename"] == "" {
				continue
			}
			if st["SHA256"] == "" {
				return nil, fmt.Errorf("%s: package %s %s lists no SHA256: %w", indexURL, name, st["Version"], ErrVerification)
			}
			file := st["Filename"]
			if seen[file] {
				continue // Architecture: all is listed under every architecture
			}
			seen[file] = true
			size, err := strconv.ParseInt(st["Size"], 10, 64)
			if err != nil {
				size = -1
			}
			full, err := resolveURL(u.URL+"/", file)
			if err != nil {
				return nil, fmt.Errorf("%s: package %s: %w", indexURL, name, err)
			}
			out = append(out, Candidate{
				Name: name, Version: st["Version"], Arch: st["Architecture"],
				File: baseName(file), URL: full, Size: size,
				SHA256: strings.ToLower(st["SHA256"]), SHA512: strings.ToLower(st["SHA512"]),
				Index: indexURL, Published: published,
			})
		}
	}
	return out, nil
}

// readKeyring reads an armored or binary OpenPGP public keyring.
func readKeyring(src Source, path string) (openpgp.EntityList, error) {
	if src.ReadFile == nil {
		return nil, fmt.Errorf("upstream key %s: no registry repository to read it from", path)
	}
	data, err := src.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("upstream key: %w", err)
	}
	var kr openpgp.EntityList
	if bytes.Contains(data[:min(len(data), 1024)], []byte("-----BEGIN PGP")) {
		kr, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	} else {
		kr, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	if err == nil && len(kr) == 0 {
		err = errors.New("no keys")
	}
	if err != nil {
		return nil, fmt.Errorf("upstream key %s: %w", path, err)
	}
	return kr, nil
}

func verifyConfig(now time.Time) *packet.Config {
	if now.IsZero() {
		return nil
	}
	return &packet.Config{Time: func() time.Time { return now }}
}

// signedRelease returns the verified text of InRelease, or of Release when
// the archive has no InRelease and a detached Release.gpg instead.
func signedRelease(ctx context.Context, src Source, dist string, kr openpgp.EntityList) ([]byte, error) {
	in, err := get(ctx, src, dist+"InRelease", "")
	switch {
	case err == nil:
		block, _ := clearsign.Decode(in)
		if block == nil {
			return nil, fmt.Errorf("%sInRelease is not a clearsigned message: %w", dist, ErrVerification)
		}
		if _, err := block.VerifySignature(kr, verifyConfig(src.Now)); err != nil {
			return nil, fmt.Errorf("%sInRelease: signature: %v: %w", dist, err, ErrVerification)
		}
		return block.Plaintext, nil
	case !errors.Is(err, errNotFound):
		return nil, err
	}
	rel, err := get(ctx, src, dist+"Release", "")
	if err != nil {
		return nil, err
	}
	sig, err := get(ctx, src, dist+"Release.gpg", "")
	if err != nil {
		return nil, fmt.Errorf("unsigned archive: %w", err)
	}
	if err := checkDetached(kr, rel, sig, src.Now); err != nil {
		return nil, fmt.Errorf("%sRelease.gpg: %v: %w", dist, err, ErrVerification)
	}
	return rel, nil
}

// checkDetached verifies an armored or binary detached signature.
func checkDetached(kr openpgp.EntityList, data, sig []byte, now time.Time) error {
	var err error
	if bytes.HasPrefix(bytes.TrimSpace(sig), []byte("-----BEGIN PGP")) {
		_, err = openpgp.CheckArmoredDetachedSignature(kr, bytes.NewReader(data), bytes.NewReader(sig), verifyConfig(now))
	} else {
		_, err = openpgp.CheckDetachedSignature(kr, bytes.NewReader(data), bytes.NewReader(sig), verifyConfig(now))
	}
	return err
}

type releaseSum struct {
	sha256 string
	size   int64
}

// parseRelease returns Release's single-line fields and its SHA256 list.
func parseRelease(data []byte) (map[string]string, map[string]releaseSum) {
	fields := map[string]string{}
	sums := map[string]releaseSum{}
	current := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if current == "SHA256" {
				f := strings.Fields(line)
				if len(f) == 3 {
					n, err := strconv.ParseInt(f[1], 10, 64)
					if err == nil {
						sums[f[2]] = releaseSum{strings.ToLower(f[0]), n}
					}
				}
			}
			continue
		}
		k, v, _ := strings.Cut(line, ":")
		current = k
		fields[k] = strings.TrimSpace(v)
	}
	return fields, sums
}

// fetchPackages downloads the best compressed variant of a Packages index
// that Release lists, checks it against Release, and returns it
// uncompressed.
func fetchPackages(ctx context.Context, src Source, dist, index string, sums map[string]releaseSum) ([]byte, string, error) {
	for _, ext := range []string{".xz", ".gz", ""} {
		sum, ok := sums[index+ext]
		if !ok {
			continue
		}
		u := dist + index + ext
		data, err := get(ctx, src, u, "")
		if err != nil {
			return nil, "", err
		}
		h := sha256.Sum256(data)
		if got := hex.EncodeToString(h[:]); got != sum.sha256 || int64(len(data)) != sum.size {
			return nil, "", fmt.Errorf("%s: Release says sha256 %s (%d bytes), the file has sha256 %s (%d bytes): %w", u, sum.sha256, sum.size, got, len(data), ErrVerification)
		}
		plain, err := decompress(data, ext)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", u, err)
		}
		return plain, u, nil
	}
	return nil, "", fmt.Errorf("%sRelease lists no SHA256 for %s (is the component or architecture right?)", dist, index)
}

// decompress uncompresses data by its file name's extension (".xz", ".gz",
// ".zst", ".bz2"; any other is taken as uncompressed), up to maxDocument
// bytes.
func decompress(data []byte, ext string) ([]byte, error) {
	var r io.Reader
	switch ext {
	case ".xz":
		xr, err := xz.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		r = xr
	case ".gz":
		gr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		r = gr
	case ".zst":
		zr, err := zstd.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	case ".bz2":
		r = bzip2.NewReader(bytes.NewReader(data))
	default:
		return data, nil
	}
	out, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxDocument {
		return nil, fmt.Errorf("uncompresses to more than %d bytes", maxDocument)
	}
	return out, nil
}

// parseStanzas splits a Packages file into its paragraphs' single-line
// fields (continuation lines are skipped: no field read here has them).
func parseStanzas(data []byte) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = map[string]string{}
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			cur[k] = strings.TrimSpace(v)
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// parseAptDate parses Release's RFC 1123 dates ("Sat, 10 Jun 2023 09:42:32 UTC").
func parseAptDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC1123, time.RFC1123Z, "Mon, 2 Jan 2006 15:04:05 MST", "Mon, 2 Jan 2006 15:04:05 -0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an RFC 1123 date")
}
