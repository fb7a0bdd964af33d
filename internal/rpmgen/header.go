package rpmgen

import (
	"bytes"
	"encoding/binary"
	"sort"

	"github.com/stockpile/stockpile/formats/yum/rpm"
)

// header collects entries and lays them out as rpm does: entries sorted by
// tag, data in the same order with each value aligned to its width, and an
// immutable region covering them all.
type header struct {
	entries []Tag
}

func (h *header) str(tag rpm.Tag, s string) {
	h.entries = append(h.entries, Tag{tag, rpm.TypeString, 1, append([]byte(s), 0)})
}

func (h *header) optStr(tag rpm.Tag, s string) {
	if s != "" {
		h.str(tag, s)
	}
}

func (h *header) i18n(tag rpm.Tag, s string) {
	h.entries = append(h.entries, Tag{tag, rpm.TypeI18NString, 1, append([]byte(s), 0)})
}

func (h *header) strs(tag rpm.Tag, list []string) {
	var b []byte
	for _, s := range list {
		b = append(append(b, s...), 0)
	}
	h.entries = append(h.entries, Tag{tag, rpm.TypeStringArray, uint32(len(list)), b})
}

func (h *header) u32(tag rpm.Tag, vs ...uint32) {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint32(b[4*i:], v)
	}
	h.entries = append(h.entries, Tag{tag, rpm.TypeInt32, uint32(len(vs)), b})
}

func (h *header) u16(tag rpm.Tag, vs ...uint16) {
	b := make([]byte, 2*len(vs))
	for i, v := range vs {
		binary.BigEndian.PutUint16(b[2*i:], v)
	}
	h.entries = append(h.entries, Tag{tag, rpm.TypeInt16, uint32(len(vs)), b})
}

func (h *header) bin(tag rpm.Tag, b []byte) {
	h.entries = append(h.entries, Tag{tag, rpm.TypeBin, uint32(len(b)), b})
}

// deps writes a dependency list sorted as rpm keeps it: by name, then
// version, then flags.
func (h *header) deps(deps []Dep, names, flags, versions rpm.Tag) {
	if len(deps) == 0 {
		return
	}
	deps = append([]Dep(nil), deps...)
	sort.SliceStable(deps, func(i, j int) bool {
		if deps[i].Name != deps[j].Name {
			return deps[i].Name < deps[j].Name
		}
		if deps[i].Version != deps[j].Version {
			return deps[i].Version < deps[j].Version
		}
		return deps[i].Flags < deps[j].Flags
	})
	var n, v []string
	var f []uint32
	for _, d := range deps {
		n = append(n, d.Name)
		v = append(v, d.Version)
		f = append(f, d.Flags)
	}
	h.strs(names, n)
	h.u32(flags, f...)
	h.strs(versions, v)
}

func align(t rpm.Type) int {
	switch t {
	case rpm.TypeInt16:
		return 2
	case rpm.TypeInt32:
		return 4
	case rpm.TypeInt64:
		return 8
	}
	return 1
}

// blob returns the header as stored in a package: magic, counts, index and
// data, with region as the first entry and its trailer at the end of the
// data.
func (h *header) blob(region rpm.Tag) []byte {
	entries := append([]Tag(nil), h.entries...)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Tag < entries[j].Tag })
	il := len(entries) + 1
	var data bytes.Buffer
	var index bytes.Buffer
	put := func(tag rpm.Tag, typ rpm.Type, off int, count uint32) {
		var e [16]byte
		binary.BigEndian.PutUint32(e[0:], uint32(tag))
		binary.BigEndian.PutUint32(e[4:], uint32(typ))
		binary.BigEndian.PutUint32(e[8:], uint32(int32(off)))
		binary.BigEndian.PutUint32(e[12:], count)
		index.Write(e[:])
	}
	var rest bytes.Buffer
	for _, e := range entries {
		for data.Len()%align(e.Type) != 0 {
			data.WriteByte(0)
		}
		count := e.Count
		if count == 0 {
			count = uint32(len(e.Data) / align(e.Type))
		}
		var ent [16]byte
		binary.BigEndian.PutUint32(ent[0:], uint32(e.Tag))
		binary.BigEndian.PutUint32(ent[4:], uint32(e.Type))
		binary.BigEndian.PutUint32(ent[8:], uint32(data.Len()))
		binary.BigEndian.PutUint32(ent[12:], count)
		rest.Write(ent[:])
		data.Write(e.Data)
	}
	// The region entry points at the trailer, which points back over the
	// whole index with a negative offset.
	put(region, rpm.TypeBin, data.Len(), 16)
	index.Write(rest.Bytes())
	var trailer [16]byte
	binary.BigEndian.PutUint32(trailer[0:], uint32(region))
	binary.BigEndian.PutUint32(trailer[4:], uint32(rpm.TypeBin))
	binary.BigEndian.PutUint32(trailer[8:], uint32(int32(-16*il)))
	binary.BigEndian.PutUint32(trailer[12:], 16)
	data.Write(trailer[:])

	var out bytes.Buffer
	out.Write([]byte{0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0})
	binary.Write(&out, binary.BigEndian, uint32(il))
	binary.Write(&out, binary.BigEndian, uint32(data.Len()))
	out.Write(index.Bytes())
	out.Write(data.Bytes())
	return out.Bytes()
}
