package pypi

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxMetadata bounds METADATA and PKG-INFO (long descriptions included).
const maxMetadata = 16 << 20

// Metadata is the header section of a core metadata file (METADATA,
// PKG-INFO): fields in order, names as written.
type Metadata struct {
	Fields []Field
}

// Field is one header of core metadata; continuation lines are joined with
// "\n" as written, without their indentation removed.
type Field struct {
	Name, Value string
}

// Get returns the value of the first field called name (case-insensitive).
func (m *Metadata) Get(name string) string {
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// count returns how many fields are called name.
func (m *Metadata) count(name string) int {
	n := 0
	for _, f := range m.Fields {
		if strings.EqualFold(f.Name, name) {
			n++
		}
	}
	return n
}

var (
	headerName      = regexp.MustCompile(`^[!-9;-~]+$`) // printable ASCII but ':'
	metadataVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
)

// ParseMetadata reads the headers of core metadata: RFC 822 style
// "Name: value" lines, continuation lines starting with a space or tab,
// ended by an empty line or the end of the file. It must be UTF-8, as pip
// decodes it.
func ParseMetadata(data []byte) (*Metadata, error) {
	if len(data) > maxMetadata {
		return nil, fmt.Errorf("metadata of %d bytes is larger than the limit of %d MiB", len(data), maxMetadata>>20)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("metadata is not valid UTF-8")
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, fmt.Errorf("metadata holds a NUL byte")
	}
	m := &Metadata{}
	for n, rest := 1, string(data); rest != ""; n++ {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break // the body (long description) follows
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(m.Fields) == 0 {
				return nil, fmt.Errorf("metadata line %d: continuation line before any field", n)
			}
			m.Fields[len(m.Fields)-1].Value += "\n" + line
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !headerName.MatchString(name) {
			return nil, fmt.Errorf("metadata line %d: %q is not a \"Name: value\" field", n, truncate(line, 60))
		}
		m.Fields = append(m.Fields, Field{Name: name, Value: strings.TrimLeft(value, " \t")})
	}
	return m, nil
}

// core checks the fields an index needs and returns them: Name, Version
// and Requires-Python, trimmed.
func (m *Metadata) core() (name, version, requiresPython string, err error) {
	for _, f := range []string{"Metadata-Version", "Name", "Version"} {
		switch m.count(f) {
		case 0:
			return "", "", "", fmt.Errorf("metadata has no %s field", f)
		case 1:
		default:
			return "", "", "", fmt.Errorf("metadata has %d %s fields", m.count(f), f)
		}
	}
	if mv := strings.TrimSpace(m.Get("Metadata-Version")); !metadataVersion.MatchString(mv) {
		return "", "", "", fmt.Errorf("Metadata-Version %q is not a version such as 2.1", truncate(mv, 40))
	}
	name = strings.TrimSpace(m.Get("Name"))
	if !ValidName(name) {
		return "", "", "", fmt.Errorf("Name %q is not a valid project name", truncate(name, 60))
	}
	version = strings.TrimSpace(m.Get("Version"))
	if _, err := ParseVersion(version); err != nil {
		return "", "", "", fmt.Errorf("Version: %w", err)
	}
	if m.count("Requires-Python") > 1 {
		return "", "", "", fmt.Errorf("metadata has %d Requires-Python fields", m.count("Requires-Python"))
	}
	requiresPython = strings.Join(strings.Fields(m.Get("Requires-Python")), " ")
	if requiresPython != "" {
		if err := checkSpecifiers(requiresPython); err != nil {
			return "", "", "", fmt.Errorf("Requires-Python: %w", err)
		}
	}
	return name, version, requiresPython, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
