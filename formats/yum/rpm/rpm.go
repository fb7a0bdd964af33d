// Package rpm reads the lead, signature header and main header of RPM
// package files. Every count, offset and size is checked against the file
// before anything is allocated, so a hostile file costs at most its own size
// in memory.
package rpm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits, as rpm itself enforces them (hdrchkTags, hdrchkData), plus a cap
// on array lengths so that a small header cannot expand into huge slices.
const (
	MaxEntries    = 0xffff   // index entries per header
	MaxData       = 16 << 20 // bytes of a header's data store
	MaxArrayCount = 1 << 20  // elements of one array, binary data aside
)

// LeadSize is the size of the lead, the obsolete fixed-size preamble.
const LeadSize = 96

var (
	leadMagic   = []byte{0xed, 0xab, 0xee, 0xdb}
	headerMagic = []byte{0x8e, 0xad, 0xe8, 0x01}
)

// ErrNotRPM reports a file that does not start like an RPM package.
var ErrNotRPM = errors.New("not an rpm package (bad lead magic)")

// File is what Read found in a package file.
type File struct {
	Signature *Header
	Header    *Header
	// HeaderStart and HeaderEnd are the byte offsets of the main header in
	// the file (end exclusive): the range repository metadata lists so that
	// clients can fetch a header alone.
	HeaderStart, HeaderEnd int64
}

// Header is one parsed header: its index entries and data store.
type Header struct {
	entries map[Tag]entry
	order   []Tag // in file order
	data    []byte
	// Blob is the header as stored in the file, magic included: the bytes
	// that header digests and signatures cover.
	Blob []byte
}

type entry struct {
	typ    Type
	offset uint32
	count  uint32
	length uint32 // bytes of data, checked to lie within the store
}

// Read reads the lead and both headers of the package in r (size bytes). It
// reads nothing of the payload.
func Read(r io.ReaderAt, size int64) (*File, error) {
	var lead [LeadSize]byte
	if _, err := r.ReadAt(lead[:], 0); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: file is %d bytes, shorter than the lead", ErrNotRPM, size)
		}
		return nil, fmt.Errorf("reading lead: %w", err)
	}
	if !bytes.Equal(lead[:4], leadMagic) {
		return nil, ErrNotRPM
	}
	if major := lead[4]; major != 3 && major != 4 {
		return nil, fmt.Errorf("unsupported rpm format version %d.%d", lead[4], lead[5])
	}
	if sigType := binary.BigEndian.Uint16(lead[78:]); sigType != 5 {
		return nil, fmt.Errorf("unsupported signature type %d in the lead (want 5, a header)", sigType)
	}
	sig, err := readHeader(r, LeadSize, size)
	if err != nil {
		return nil, fmt.Errorf("signature header: %w", err)
	}
	start := int64(LeadSize) + int64(len(sig.Blob))
	start += (8 - start%8) % 8 // the signature header is padded to 8 bytes
	h, err := readHeader(r, start, size)
	if err != nil {
		return nil, fmt.Errorf("main header: %w", err)
	}
	return &File{Signature: sig, Header: h, HeaderStart: start, HeaderEnd: start + int64(len(h.Blob))}, nil
}

// ParseHeader parses one header blob (magic, counts, index and data store)
// as stored in a package file.
func ParseHeader(blob []byte) (*Header, error) {
	return readHeader(bytes.NewReader(blob), 0, int64(len(blob)))
}

// readHeader reads the header that starts at off.
func readHeader(r io.ReaderAt, off, size int64) (*Header, error) {
	var intro [16]byte
	if off+16 > size {
		return nil, fmt.Errorf("truncated: %d bytes left at offset %d, want at least 16", max(size-off, 0), off)
	}
	if _, err := r.ReadAt(intro[:], off); err != nil {
		return nil, fmt.Errorf("reading at offset %d: %w", off, err)
	}
	if !bytes.Equal(intro[:4], headerMagic) {
		return nil, fmt.Errorf("bad header magic % x at offset %d", intro[:4], off)
	}
	n := binary.BigEndian.Uint32(intro[8:])
	dl := binary.BigEndian.Uint32(intro[12:])
	if n == 0 || n > MaxEntries {
		return nil, fmt.Errorf("%d index entries (want 1 to %d)", n, MaxEntries)
	}
	if dl > MaxData {
		return nil, fmt.Errorf("data store of %d bytes (limit %d)", dl, MaxData)
	}
	total := 16 + 16*int64(n) + int64(dl)
	if off+total > size {
		return nil, fmt.Errorf("header of %d bytes at offset %d runs past the end of the %d-byte file", total, off, size)
	}
	blob := make([]byte, total)
	if _, err := r.ReadAt(blob, off); err != nil {
		return nil, fmt.Errorf("reading %d bytes at offset %d: %w", total, off, err)
	}
	h := &Header{
		entries: make(map[Tag]entry, n),
		order:   make([]Tag, 0, n),
		data:    blob[16+16*int64(n):],
		Blob:    blob,
	}
	index := blob[16 : 16+16*int64(n)]
	for i := 0; i < int(n); i++ {
		e := index[16*i:]
		tag := Tag(binary.BigEndian.Uint32(e))
		en := entry{
			typ:    Type(binary.BigEndian.Uint32(e[4:])),
			offset: binary.BigEndian.Uint32(e[8:]),
			count:  binary.BigEndian.Uint32(e[12:]),
		}
		length, err := h.check(en)
		if err != nil {
			return nil, fmt.Errorf("tag %d: %w", tag, err)
		}
		en.length = length
		if en.typ == TypeNull {
			en.count = 0
		}
		if _, dup := h.entries[tag]; dup {
			return nil, fmt.Errorf("tag %d appears twice", tag)
		}
		h.entries[tag] = en
		h.order = append(h.order, tag)
	}
	return h, nil
}

// check returns the length in bytes of an entry's data, or why it does not
// fit the store.
func (h *Header) check(e entry) (uint32, error) {
	dl := uint32(len(h.data))
	if e.offset > dl {
		return 0, fmt.Errorf("offset %d beyond the %d-byte data store", e.offset, dl)
	}
	left := dl - e.offset
	width := uint32(0)
	switch e.typ {
	case TypeNull:
		return 0, nil // no data, whatever the count says
	case TypeChar, TypeInt8, TypeBin:
		width = 1
	case TypeInt16:
		width = 2
	case TypeInt32:
		width = 4
	case TypeInt64:
		width = 8
	case TypeString, TypeStringArray, TypeI18NString:
		if e.typ == TypeString && e.count != 1 {
			return 0, fmt.Errorf("string entry with count %d", e.count)
		}
		if e.count > left || e.count > MaxArrayCount {
			return 0, fmt.Errorf("%d strings cannot fit in %d bytes", e.count, left)
		}
		p := h.data[e.offset:]
		end := 0
		for i := uint32(0); i < e.count; i++ {
			j := bytes.IndexByte(p[end:], 0)
			if j < 0 {
				return 0, fmt.Errorf("string %d of %d is not terminated within the data store", i+1, e.count)
			}
			end += j + 1
		}
		return uint32(end), nil
	default:
		return 0, fmt.Errorf("unknown type %d", e.typ)
	}
	if e.offset%width != 0 {
		return 0, fmt.Errorf("offset %d is not aligned to %d bytes", e.offset, width)
	}
	if e.typ != TypeBin && e.count > MaxArrayCount {
		return 0, fmt.Errorf("%d values (limit %d)", e.count, MaxArrayCount)
	}
	if uint64(e.count)*uint64(width) > uint64(left) {
		return 0, fmt.Errorf("%d values of %d bytes do not fit in the %d bytes left", e.count, width, left)
	}
	return e.count * width, nil
}

// Has reports whether the header holds tag.
func (h *Header) Has(tag Tag) bool {
	_, ok := h.entries[tag]
	return ok
}

// Tags returns the header's tags in file order.
func (h *Header) Tags() []Tag { return append([]Tag(nil), h.order...) }

// Type returns the type of tag's entry, and whether there is one.
func (h *Header) Type(tag Tag) (Type, bool) {
	e, ok := h.entries[tag]
	return e.typ, ok
}

// Count returns the number of values of tag (0 if absent).
func (h *Header) Count(tag Tag) int {
	return int(h.entries[tag].count)
}

// String returns the value of a string tag: a STRING, or the first element
// of a STRING_ARRAY or I18NSTRING (the untranslated text). A missing tag
// gives "".
func (h *Header) String(tag Tag) (string, error) {
	e, ok := h.entries[tag]
	if !ok {
		return "", nil
	}
	switch e.typ {
	case TypeString, TypeStringArray, TypeI18NString:
		if e.count == 0 {
			return "", nil
		}
		p := h.data[e.offset : e.offset+e.length]
		return string(p[:bytes.IndexByte(p, 0)]), nil
	}
	return "", fmt.Errorf("tag %d has type %d, not a string", tag, e.typ)
}

// Strings returns every value of a string tag; nil if it is missing.
func (h *Header) Strings(tag Tag) ([]string, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	switch e.typ {
	case TypeString, TypeStringArray, TypeI18NString:
	default:
		return nil, fmt.Errorf("tag %d has type %d, not a string array", tag, e.typ)
	}
	out := make([]string, e.count)
	p := h.data[e.offset : e.offset+e.length]
	for i := range out {
		j := bytes.IndexByte(p, 0)
		out[i] = string(p[:j])
		p = p[j+1:]
	}
	return out, nil
}

// Uints returns every value of an integer tag; nil if it is missing.
func (h *Header) Uints(tag Tag) ([]uint64, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	switch e.typ {
	case TypeChar, TypeInt8, TypeInt16, TypeInt32, TypeInt64:
	default:
		return nil, fmt.Errorf("tag %d has type %d, not an integer", tag, e.typ)
	}
	// The count of these types was checked against the store.
	p := h.data[e.offset : e.offset+e.length]
	out := make([]uint64, e.count)
	switch e.typ {
	case TypeChar, TypeInt8:
		for i := range out {
			out[i] = uint64(p[i])
		}
	case TypeInt16:
		for i := range out {
			out[i] = uint64(binary.BigEndian.Uint16(p[2*i:]))
		}
	case TypeInt32:
		for i := range out {
			out[i] = uint64(binary.BigEndian.Uint32(p[4*i:]))
		}
	case TypeInt64:
		for i := range out {
			out[i] = binary.BigEndian.Uint64(p[8*i:])
		}
	}
	return out, nil
}

// Uint returns the first value of an integer tag, and whether it has one.
func (h *Header) Uint(tag Tag) (uint64, bool, error) {
	e, ok := h.entries[tag]
	if !ok || e.count == 0 {
		return 0, false, nil
	}
	p := h.data[e.offset:]
	switch e.typ {
	case TypeChar, TypeInt8:
		return uint64(p[0]), true, nil
	case TypeInt16:
		return uint64(binary.BigEndian.Uint16(p)), true, nil
	case TypeInt32:
		return uint64(binary.BigEndian.Uint32(p)), true, nil
	case TypeInt64:
		return binary.BigEndian.Uint64(p), true, nil
	}
	return 0, false, fmt.Errorf("tag %d has type %d, not an integer", tag, e.typ)
}

// Bytes returns the value of a BIN tag; nil if it is missing.
func (h *Header) Bytes(tag Tag) ([]byte, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	if e.typ != TypeBin {
		return nil, fmt.Errorf("tag %d has type %d, not binary", tag, e.typ)
	}
	return h.data[e.offset : e.offset+e.length : e.offset+e.length], nil
}
