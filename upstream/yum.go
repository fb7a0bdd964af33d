package upstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/stockpile/stockpile/config"
)

// listYum reads an rpm-md repository: repomd.xml (with repomd.xml.asc
// checked against the configured key, if any), primary.xml checked against
// repomd's checksum, and each rpm's checksum from primary. The publish time
// of a package is primary's <time file="...">, when the file entered the
// repository.
func listYum(ctx context.Context, src Source, repo *config.Repository) ([]Candidate, error) {
	u := repo.Upstream
	base := u.URL + "/"
	repomdURL := base + "repodata/repomd.xml"
	repomd, err := get(ctx, src, repomdURL, "")
	if err != nil {
		return nil, err
	}
	if u.Key != "" {
		keyring, err := readKeyring(src, u.Key)
		if err != nil {
			return nil, err
		}
		sig, err := get(ctx, src, repomdURL+".asc", "")
		if err != nil {
			return nil, fmt.Errorf("repomd.xml signature: %w", err)
		}
		if err := checkDetached(keyring, repomd, sig, src.Now); err != nil {
			return nil, fmt.Errorf("%s.asc: %v: %w", repomdURL, err, ErrVerification)
		}
	}
	var md struct {
		Data []struct {
			Type     string `xml:"type,attr"`
			Checksum struct {
				Type  string `xml:"type,attr"`
				Value string `xml:",chardata"`
			} `xml:"checksum"`
			Location struct {
				Href string `xml:"href,attr"`
			} `xml:"location"`
			Size int64 `xml:"size"`
		} `xml:"data"`
	}
	if err := xml.Unmarshal(repomd, &md); err != nil {
		return nil, fmt.Errorf("%s: %w", repomdURL, err)
	}
	var primaryURL string
	var primary []byte
	for _, d := range md.Data {
		if d.Type != "primary" {
			continue
		}
		primaryURL, err = resolveURL(base, d.Location.Href)
		if err != nil {
			return nil, fmt.Errorf("%s: primary: %w", repomdURL, err)
		}
		data, err := get(ctx, src, primaryURL, "")
		if err != nil {
			return nil, err
		}
		want := strings.ToLower(strings.TrimSpace(d.Checksum.Value))
		got, err := checksum(d.Checksum.Type, data)
		if err != nil {
			return nil, fmt.Errorf("%s: primary: %w", repomdURL, err)
		}
		if got != want {
			return nil, fmt.Errorf("%s: repomd.xml says %s %s, the file has %s: %w", primaryURL, d.Checksum.Type, want, got, ErrVerification)
		}
		if primary, err = decompress(data, path.Ext(d.Location.Href)); err != nil {
			return nil, fmt.Errorf("%s: %w", primaryURL, err)
		}
	}
	if primary == nil {
		return nil, fmt.Errorf("%s lists no primary metadata", repomdURL)
	}
	return readPrimary(u, base, primaryURL, primary)
}

type primaryPackage struct {
	Type    string `xml:"type,attr"`
	Name    string `xml:"name"`
	Arch    string `xml:"arch"`
	Version struct {
		Epoch string `xml:"epoch,attr"`
		Ver   string `xml:"ver,attr"`
		Rel   string `xml:"rel,attr"`
	} `xml:"version"`
	Checksum struct {
		Type  string `xml:"type,attr"`
		Value string `xml:",chardata"`
	} `xml:"checksum"`
	Time struct {
		File int64 `xml:"file,attr"`
	} `xml:"time"`
	Size struct {
		Package int64 `xml:"package,attr"`
	} `xml:"size"`
	Location struct {
		Href string `xml:"href,attr"`
		Base string `xml:"base,attr"`
	} `xml:"location"`
}

func readPrimary(u *config.Upstream, base, primaryURL string, data []byte) ([]Candidate, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var out []Candidate
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", primaryURL, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "package" {
			continue
		}
		var p primaryPackage
		if err := dec.DecodeElement(&p, &se); err != nil {
			return nil, fmt.Errorf("%s: %w", primaryURL, err)
		}
		if !wanted(u, p.Name, identity) || !archWanted(u.Architectures, p.Arch) {
			continue
		}
		evr := p.Version.Ver + "-" + p.Version.Rel
		if e := p.Version.Epoch; e != "" && e != "0" {
			evr = e + ":" + evr
		}
		c := Candidate{Name: p.Name, Version: evr, Arch: p.Arch, Size: p.Size.Package, Index: primaryURL}
		if p.Time.File > 0 {
			c.Published = time.Unix(p.Time.File, 0).UTC()
		}
		sum := strings.ToLower(strings.TrimSpace(p.Checksum.Value))
		switch p.Checksum.Type {
		case "sha256":
			c.SHA256 = sum
		case "sha512":
			c.SHA512 = sum
		case "sha1", "sha":
			c.SHA1 = sum
		default:
			return nil, fmt.Errorf("%s: package %s-%s: checksum type %q cannot be verified: %w", primaryURL, p.Name, evr, p.Checksum.Type, ErrVerification)
		}
		root := base
		if p.Location.Base != "" {
			root = strings.TrimSuffix(p.Location.Base, "/") + "/"
		}
		if c.URL, err = resolveURL(root, p.Location.Href); err != nil {
			return nil, fmt.Errorf("%s: package %s: %w", primaryURL, p.Name, err)
		}
		c.File = baseName(c.URL)
		out = append(out, c)
	}
}

// archWanted reports whether arch is one of archs; noarch always is, and
// every architecture but source is when none are configured.
func archWanted(archs []string, arch string) bool {
	if len(archs) == 0 {
		return arch != "src"
	}
	if arch == "noarch" {
		return true
	}
	for _, a := range archs {
		if a == arch {
			return true
		}
	}
	return false
}

func checksum(kind string, data []byte) (string, error) {
	switch kind {
	case "sha256":
		h := sha256.Sum256(data)
		return hex.EncodeToString(h[:]), nil
	case "sha512":
		h := sha512.Sum512(data)
		return hex.EncodeToString(h[:]), nil
	}
	return "", fmt.Errorf("checksum type %q is not accepted (want sha256 or sha512): %w", kind, ErrVerification)
}
