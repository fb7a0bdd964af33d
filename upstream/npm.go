package upstream

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/stockpile/stockpile/config"
)

// listNPM reads each package's packument: versions, dist.tarball,
// dist.integrity (sha512; old versions have only dist.shasum, sha1) and
// time[version], the publish time.
func listNPM(ctx context.Context, src Source, repo *config.Repository) ([]Candidate, error) {
	u := repo.Upstream
	var out []Candidate
	for _, pkg := range u.Packages {
		files, err := npmPackument(ctx, src, u.URL, pkg.Name)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	return out, nil
}

func npmPackument(ctx context.Context, src Source, root, name string) ([]Candidate, error) {
	page := root + "/" + strings.Replace(name, "/", "%2f", 1)
	// The full document: the abbreviated one has no time field.
	data, err := get(ctx, src, page, "application/json")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Name     string `json:"name"`
		Versions map[string]struct {
			Name       string          `json:"name"`
			Version    string          `json:"version"`
			Deprecated json.RawMessage `json:"deprecated"`
			Dist       struct {
				Tarball   string `json:"tarball"`
				Integrity string `json:"integrity"`
				Shasum    string `json:"shasum"`
			} `json:"dist"`
		} `json:"versions"`
		Time map[string]string `json:"time"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: not a packument: %w", page, err)
	}
	if doc.Name != "" && doc.Name != name {
		return nil, fmt.Errorf("%s: packument is for %q, not %q", page, doc.Name, name)
	}
	var out []Candidate
	for version, v := range doc.Versions {
		if !validSemver(version) || v.Dist.Tarball == "" {
			continue
		}
		c := Candidate{Name: name, Version: version, Size: -1, Index: page,
			File:       strings.ReplaceAll(strings.TrimPrefix(name, "@"), "/", "-") + "-" + version + ".tgz",
			Prerelease: strings.Contains(stripBuild(version), "-")}
		if c.URL, err = resolveURL(page, v.Dist.Tarball); err != nil {
			return nil, fmt.Errorf("%s: version %s: %w", page, version, err)
		}
		for _, sri := range strings.Fields(v.Dist.Integrity) {
			if b64, ok := strings.CutPrefix(sri, "sha512-"); ok {
				raw, err := base64.StdEncoding.DecodeString(b64)
				if err != nil || len(raw) != 64 {
					return nil, fmt.Errorf("%s: version %s: integrity %q is not a sha512 digest: %w", page, version, sri, ErrVerification)
				}
				c.SHA512 = hex.EncodeToString(raw)
			}
		}
		if c.SHA512 == "" {
			c.SHA1 = strings.ToLower(v.Dist.Shasum)
		}
		if c.SHA512 == "" && len(c.SHA1) != 40 {
			return nil, fmt.Errorf("%s: version %s has neither dist.integrity (sha512) nor dist.shasum: %w", page, version, ErrVerification)
		}
		if t, ok := doc.Time[version]; ok {
			c.Published, _ = time.Parse(time.RFC3339Nano, t)
		}
		var msg string
		if json.Unmarshal(v.Deprecated, &msg) == nil {
			c.Deprecated = msg
		}
		out = append(out, c)
	}
	return out, nil
}
