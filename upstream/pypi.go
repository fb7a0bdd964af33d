package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/formats/pypi"
)

const pep691 = "application/vnd.pypi.simple.v1+json"

// listPyPI reads each project's files from a PEP 691 JSON simple page
// (api: simple) or PyPI's JSON API (api: json): file URLs, sha256 digests,
// sizes, upload times and yanked flags.
func listPyPI(ctx context.Context, src Source, repo *config.Repository) ([]Candidate, error) {
	u := repo.Upstream
	var out []Candidate
	for _, pkg := range u.Packages {
		var files []Candidate
		var err error
		if u.API == "json" {
			files, err = pypiJSON(ctx, src, u.URL, pkg.Name)
		} else {
			files, err = pypiSimple(ctx, src, u.URL, pkg.Name)
		}
		if errors.Is(err, errNotFound) {
			continue // reported as missing by Select
		}
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	return out, nil
}

// pypiYanked is PEP 592's yanked: false, true or a reason.
type pypiYanked bool

func (y *pypiYanked) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	*y = pypiYanked(s != "false" && s != "null" && s != `""`)
	return nil
}

func pypiSimple(ctx context.Context, src Source, root, name string) ([]Candidate, error) {
	page := root + "/simple/" + pypi.Normalize(name) + "/"
	data, err := get(ctx, src, page, pep691)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Meta struct {
			APIVersion string `json:"api-version"`
		} `json:"meta"`
		Files []pypiFile `json:"files"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Meta.APIVersion == "" {
		return nil, fmt.Errorf("%s: not a PEP 691 JSON page (does the index serve %s?)", page, pep691)
	}
	var out []Candidate
	for _, f := range doc.Files {
		version, ok := pypiFileVersion(f.Filename, name)
		if !ok {
			continue
		}
		c, err := f.candidate(page, name, version)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func pypiJSON(ctx context.Context, src Source, root, name string) ([]Candidate, error) {
	page := root + "/pypi/" + url.PathEscape(name) + "/json"
	data, err := get(ctx, src, page, "application/json")
	if err != nil {
		return nil, err
	}
	var doc struct {
		// Each file is a pypiFile under the JSON API's names.
		Releases map[string][]struct {
			Filename   string            `json:"filename"`
			URL        string            `json:"url"`
			Hashes     map[string]string `json:"digests"`
			Size       *int64            `json:"size"`
			UploadTime string            `json:"upload_time_iso_8601"`
			Yanked     pypiYanked        `json:"yanked"`
		} `json:"releases"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", page, err)
	}
	var out []Candidate
	for version, files := range doc.Releases {
		for _, f := range files {
			c, err := pypiFile(f).candidate(page, name, version)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// pypiFile is one file of a project as a PEP 691 JSON page lists it.
type pypiFile struct {
	Filename   string            `json:"filename"`
	URL        string            `json:"url"`
	Hashes     map[string]string `json:"hashes"`
	Size       *int64            `json:"size"`
	UploadTime string            `json:"upload-time"`
	Yanked     pypiYanked        `json:"yanked"`
}

// candidate is version version of project name in file f, listed on page.
func (f pypiFile) candidate(page, name, version string) (Candidate, error) {
	c := Candidate{Name: name, Version: version, File: f.Filename, Size: -1, Index: page, Yanked: bool(f.Yanked),
		SHA256: strings.ToLower(f.Hashes["sha256"]), SHA512: strings.ToLower(f.Hashes["sha512"])}
	if f.Size != nil {
		c.Size = *f.Size
	}
	if f.UploadTime != "" {
		c.Published, _ = time.Parse(time.RFC3339Nano, f.UploadTime)
	}
	var err error
	if c.URL, err = resolveURL(page, f.URL); err != nil {
		return Candidate{}, fmt.Errorf("%s: %s: %w", page, f.Filename, err)
	}
	if v, err := pypi.ParseVersion(c.Version); err == nil {
		c.Prerelease = v.IsPrerelease()
	}
	return c, nil
}

// pypiFileVersion reads the version from a wheel or sdist file name.
func pypiFileVersion(file, project string) (string, bool) {
	if stem, ok := strings.CutSuffix(file, ".whl"); ok {
		parts := strings.Split(stem, "-")
		if len(parts) < 5 {
			return "", false
		}
		return parts[1], true
	}
	var stem string
	for _, ext := range []string{".tar.gz", ".zip", ".tar.bz2", ".tgz"} {
		if s, ok := strings.CutSuffix(file, ext); ok {
			stem = s
			break
		}
	}
	// An sdist is <name>-<version>; the name may itself hold '-' in old
	// uploads, so match it against the project's normalized name.
	for i := len(stem) - 1; i > 0; i-- {
		if stem[i] == '-' && pypi.Normalize(stem[:i]) == pypi.Normalize(project) {
			return stem[i+1:], stem[i+1:] != ""
		}
	}
	return "", false
}
