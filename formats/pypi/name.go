package pypi

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Kinds of distribution file.
const (
	Wheel = "wheel"
	Sdist = "sdist"
)

// Normalize returns the PEP 503 normalized form of a project name:
// re.sub(r"[-_.]+", "-", name).lower().
func Normalize(name string) string {
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= utf8.RuneSelf: // not a valid name; lowercase as Python does
			return strings.ToLower(separators.ReplaceAllString(name, "-"))
		case c == '-' || c == '_' || c == '.':
			if i == 0 || !isSeparator(name[i-1]) { // one '-' for a run
				b = append(b, '-')
			}
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	if len(b) == len(name) && string(b) == name {
		return name
	}
	return string(b)
}

func isSeparator(c byte) bool { return c == '-' || c == '_' || c == '.' }

var separators = regexp.MustCompile(`[-_.]+`)

// projectName is PEP 508's name rule.
var projectName = regexp.MustCompile(`^(?i:[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`)

// ValidName reports whether name is a valid project name.
func ValidName(name string) bool { return len(name) <= 200 && projectName.MatchString(name) }

// wheelFile is pip's wheel file name pattern (PEP 427).
var wheelFile = regexp.MustCompile(`^(?P<name>[^\s-]+?)-(?P<ver>[^\s-]*?)(?:-(?P<build>\d[^-]*))?-(?P<pyver>[^\s-]+?)-(?P<abi>[^\s-]+?)-(?P<plat>[^\s-]+?)\.whl$`)

// kindOf returns the kind of distribution a file name says, and its stem
// (the name without the extension).
func kindOf(file string) (kind, stem string, err error) {
	switch {
	case strings.HasSuffix(file, ".whl"):
		return Wheel, strings.TrimSuffix(file, ".whl"), nil
	case strings.HasSuffix(file, ".tar.gz"):
		return Sdist, strings.TrimSuffix(file, ".tar.gz"), nil
	case strings.HasSuffix(file, ".zip"):
		return Sdist, strings.TrimSuffix(file, ".zip"), nil
	}
	return "", "", fmt.Errorf("%q is not a wheel (.whl) or an sdist (.tar.gz, .zip)", file)
}

// parseWheelName returns the project name and version a wheel's file name
// gives, with the escaping of PEP 427/491 undone ('_' back to '-').
func parseWheelName(file string) (name, version string, err error) {
	m := wheelFile.FindStringSubmatch(file)
	if m == nil {
		return "", "", fmt.Errorf("%q is not a wheel file name (name-version[-build]-python-abi-platform.whl)", file)
	}
	name = strings.ReplaceAll(m[wheelFile.SubexpIndex("name")], "_", "-")
	version = strings.ReplaceAll(m[wheelFile.SubexpIndex("ver")], "_", "-")
	return name, version, nil
}

// splitSdistStem splits an sdist's stem ("name-version") at the '-' after
// which the version starts, given the project's name: the part before must
// normalize to the same name, as pip matches it.
func splitSdistStem(stem, project string) (version string, ok bool) {
	want := Normalize(project)
	for i := 0; i < len(stem); i++ {
		if stem[i] == '-' && Normalize(stem[:i]) == want {
			return stem[i+1:], true
		}
	}
	return "", false
}

// checkFileName checks that a distribution's file name names the project
// and version its metadata gives, as pip will check them, and returns the
// version.
func checkFileName(file, kind, name, version string) (Version, error) {
	k, stem, err := kindOf(file)
	if err != nil {
		return Version{}, err
	}
	if k != kind {
		return Version{}, fmt.Errorf("file name says %s, the contents are an %s", k, kind)
	}
	var fileVersion string
	if kind == Wheel {
		fileName, v, err := parseWheelName(file)
		if err != nil {
			return Version{}, err
		}
		if Normalize(fileName) != Normalize(name) {
			return Version{}, fmt.Errorf("file name is for project %q, METADATA says Name: %s", fileName, name)
		}
		fileVersion = v
	} else {
		v, ok := splitSdistStem(stem, name)
		if !ok {
			return Version{}, fmt.Errorf("file name does not start with the project name %q and a '-' (PKG-INFO says Name: %s)", Normalize(name), name)
		}
		fileVersion = v
	}
	mv, err := ParseVersion(version)
	if err != nil {
		return Version{}, err
	}
	if fileVersion == version {
		return mv, nil
	}
	fv, err := ParseVersion(fileVersion)
	if err != nil {
		return Version{}, fmt.Errorf("file name version: %w", err)
	}
	if fv.Compare(mv) != 0 {
		return Version{}, fmt.Errorf("file name is for version %s, the metadata says Version: %s", fileVersion, version)
	}
	return mv, nil
}
