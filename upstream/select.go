package upstream

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/formats/apt"
	"github.com/stockpile/stockpile/formats/npm"
	"github.com/stockpile/stockpile/formats/pypi"
	"github.com/stockpile/stockpile/formats/yum/rpm"
)

// Status says what selection decided for one upstream file.
type Status string

const (
	Selected   Status = "selected"   // to be mirrored
	Present    Status = "present"    // already listed in the repository
	Cooldown   Status = "cooldown"   // allowed, but published too recently
	Excluded   Status = "constraint" // outside the version constraint
	Older      Status = "older"      // no constraint: only the newest version is taken
	Prerelease Status = "prerelease" // a pre-release the constraint does not name
	Yanked     Status = "yanked"     // yanked upstream (PyPI)
	// Changed: the repository lists other bytes under the same file name;
	// published artifacts never change, so the upstream file is not taken.
	Changed Status = "changed"
)

// Decision is what selection decided for one file, and why.
type Decision struct {
	Candidate
	Status Status
	// Until is when a version held back by the cooldown becomes eligible;
	// zero when its publish time is unknown.
	Until time.Time
}

// Result is the selection for one repository.
type Result struct {
	Decisions []Decision
	// Missing lists the packages repos.yaml names that the upstream does
	// not have.
	Missing []string
}

// Select decides, for every candidate, whether it is mirrored: its version
// must satisfy the package's constraint (or, without one, be the newest
// eligible version), be older than the cooldown at now, not be yanked, and
// not already be present. Constraint errors name repos.yaml and the line.
func Select(repo *config.Repository, cands []Candidate, now time.Time, present func(Candidate) bool) (*Result, error) {
	u := repo.Upstream
	compare := VersionCompare(repo.Format)
	normalize := nameNormalizer(repo.Format)
	res := &Result{}
	var errs []error
	for _, pkg := range u.Packages {
		c, err := ParseConstraint(repo.Format, pkg.Versions)
		if err != nil {
			errs = append(errs, &config.Error{File: config.ConfigFile, Line: pkg.Line, Msg: fmt.Sprintf("repository %q: upstream package %q: versions: %v", repo.Name, pkg.Name, err)})
			continue
		}
		var mine []Decision
		for _, cand := range cands {
			if normalize(cand.Name) != normalize(pkg.Name) {
				continue
			}
			d := Decision{Candidate: cand}
			switch {
			case cand.Yanked:
				d.Status = Yanked
			case cand.Prerelease && !c.Prereleases():
				d.Status = Prerelease
			case !c.Match(cand.Version):
				d.Status = Excluded
			case u.Cooldown > 0 && (cand.Published.IsZero() || now.Sub(cand.Published) < time.Duration(u.Cooldown)):
				d.Status = Cooldown
				if !cand.Published.IsZero() {
					d.Until = cand.Published.Add(time.Duration(u.Cooldown)).UTC()
				}
			default:
				d.Status = Selected
			}
			mine = append(mine, d)
		}
		if len(mine) == 0 {
			res.Missing = append(res.Missing, pkg.Name)
			continue
		}
		if pkg.Versions == "" {
			newest := ""
			for _, d := range mine {
				if d.Status == Selected && (newest == "" || compare(d.Version, newest) > 0) {
					newest = d.Version
				}
			}
			for i := range mine {
				if mine[i].Status == Selected && mine[i].Version != newest {
					mine[i].Status = Older
				}
			}
		}
		for i := range mine {
			if mine[i].Status == Selected && present != nil && present(mine[i].Candidate) {
				mine[i].Status = Present
			}
		}
		res.Decisions = append(res.Decisions, mine...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortStableFunc(res.Decisions, func(a, b Decision) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), compare(a.Version, b.Version), cmp.Compare(a.File, b.File))
	})
	return res, nil
}

// VersionCompare returns the version ordering of a format.
func VersionCompare(format string) func(a, b string) int {
	switch format {
	case "apt":
		return apt.CompareVersions
	case "yum":
		return rpm.CompareEVRStrings
	case "npm":
		return npm.CompareVersions
	case "pypi":
		return func(a, b string) int {
			va, errA := pypi.ParseVersion(a)
			vb, errB := pypi.ParseVersion(b)
			if errA != nil || errB != nil {
				return cmp.Compare(a, b)
			}
			return va.Compare(vb)
		}
	}
	return cmp.Compare[string]
}

func nameNormalizer(format string) func(string) string {
	if format == "pypi" {
		return pypi.Normalize
	}
	return identity
}
