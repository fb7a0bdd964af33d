package dist

import (
	"bytes"
	"hash/crc32"
)

// chunking sets how input is cut into independently compressed chunks.
//
// A chunk ends after a line whose hash passes a test, so cuts depend on the
// content around them and not on offsets: inserting a paragraph in the middle
// of an index moves no cut except maybe the ones next to it, and all other
// chunks keep their bytes (and cached compressed form). A line passes with a
// probability proportional to its length, which makes chunk sizes independent
// of how long lines are: on average a chunk is min+avg bytes long.
type chunking struct {
	min int // no cut before this many bytes
	avg int // mean distance from min to a content-defined cut
	max int // cut here (at the last line end before, if any) when no line passed
}

// defaultChunking makes chunks of about 1 MiB: large enough that splitting
// costs little compression, small enough that a change recompresses little
// and a 10 MB index keeps both cores busy.
var defaultChunking = chunking{min: 512 << 10, avg: 512 << 10, max: 4 << 20}

// lineHashLen bounds the bytes of a line that are hashed, so a huge line
// costs no more than a short one.
const lineHashLen = 256

// cuts returns the end offsets of the chunks of data, the last one being
// len(data). It returns nil for empty data.
func (p chunking) cuts(data []byte) []int {
	var ends []int
	for start := 0; start < len(data); {
		start += p.next(data[start:])
		ends = append(ends, start)
	}
	return ends
}

// next returns the length of the chunk at the start of d.
func (p chunking) next(d []byte) int {
	if len(d) <= p.min {
		return len(d)
	}
	limit := min(len(d), p.max)
	lastEnd := -1 // end of the last complete line at or beyond min
	lineStart := -1
	for i := p.min - 1; i < limit; {
		j := bytes.IndexByte(d[i:limit], '\n')
		if j < 0 {
			break
		}
		nl := i + j
		if lineStart < 0 {
			lineStart = bytes.LastIndexByte(d[:nl], '\n') + 1
		}
		if p.cutAfter(d[lineStart:nl]) {
			return nl + 1
		}
		lastEnd = nl + 1
		lineStart = nl + 1
		i = nl + 1
	}
	if limit == len(d) {
		return len(d)
	}
	if lastEnd > 0 {
		return lastEnd
	}
	return limit
}

// cutAfter reports whether a chunk may end after line (without its newline).
// Only the last lineHashLen bytes of a long line are hashed.
func (p chunking) cutAfter(line []byte) bool {
	n := len(line)
	if n > lineHashLen {
		line = line[len(line)-lineHashLen:]
	}
	// A non-zero start keeps the empty line from hashing to zero, which
	// would pass the test below.
	h := crc32.Update(0x5f3759df, castagnoli, line)
	// Pass with probability (n+1)/avg: a line with its newline "covers" n+1
	// bytes. Spread the hash over the 64-bit range first, since avg need
	// not be a power of two.
	x := uint64(h) * 0x9e3779b97f4a7c15
	return (x>>32)%uint64(p.avg) < uint64(n+1)
}
