package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Section ids of the WebAssembly binary format that Pack reads or writes.
const (
	sectionData      = 11
	sectionDataCount = 12
)

// magic is a WebAssembly module's first eight bytes: "\0asm", version 1.
var magic = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

// segment is an active data segment of memory 0 at a constant offset.
type segment struct {
	offset uint32
	data   []byte
}

// Options say what Pack does.
type Options struct {
	// Gap is the most bytes two data segments may lie apart to be merged.
	Gap int
	// StripLines also removes the Go runtime's pc→line and pc→file tables
	// (see stripLines): tracebacks show ?:0 instead of file:line.
	StripLines bool
}

// Stats describe what Pack did.
type Stats struct {
	SegmentsIn, SegmentsOut int   // data segments before and after
	ZeroBytes               int64 // gap bytes now written out as zeros
	LineBytes               int   // bytes of line tables zeroed (StripLines)
}

// Pack returns the module b with every run of its data segments whose gaps
// are at most opt.Gap bytes merged into one segment, the gaps written out as
// zeros. The memory the module starts with is the same byte for byte: a
// gap is memory no segment writes, which starts zeroed. Every other
// section is copied unchanged, a data count section is updated.
//
// Go's linker splits the data into a new segment wherever 8 or more zero
// bytes follow each other, ~83 000 segments for lowformer.wasm: smaller
// raw, but each segment's header (flags, offset, length) compresses far
// worse than the zeros it replaces. Pack refuses modules it cannot keep
// equivalent: a passive segment (its index may be used by memory.init), a
// segment of another memory or at an offset that is not an i32.const,
// overlapping segments.
func Pack(b []byte, opt Options) ([]byte, Stats, error) {
	var st Stats
	if opt.Gap < 0 {
		return nil, st, fmt.Errorf("gap %d: want ≥ 0", opt.Gap)
	}
	if len(b) < len(magic) || !bytes.Equal(b[:len(magic)], magic) {
		return nil, st, errors.New("not a WebAssembly module (version 1): the file does not start with \\0asm 01 00 00 00")
	}
	out := slices.Clone(b[:len(magic)])
	found := false
	for r := (reader{b: b, off: len(magic)}); r.off < len(b); {
		start := r.off
		id := r.byte()
		size := r.u32()
		if r.err != nil {
			return nil, st, fmt.Errorf("section at byte %d: %w", start, r.err)
		}
		if uint64(size) > uint64(len(b)-r.off) {
			return nil, st, fmt.Errorf("section %d at byte %d: its %d bytes run past the end of the file (%d bytes)", id, start, size, len(b))
		}
		body := b[r.off : r.off+int(size)]
		r.off += int(size)
		switch id {
		case sectionData:
			if found {
				return nil, st, fmt.Errorf("a second data section at byte %d", start)
			}
			found = true
			segs, err := readData(body)
			if err != nil {
				return nil, st, fmt.Errorf("data section at byte %d: %w", start, err)
			}
			merged, zeros, err := merge(segs, opt.Gap)
			if err != nil {
				return nil, st, fmt.Errorf("data section at byte %d: %w", start, err)
			}
			st = Stats{SegmentsIn: len(segs), SegmentsOut: len(merged), ZeroBytes: zeros}
			if opt.StripLines {
				if st.LineBytes, err = stripLines(merged); err != nil {
					return nil, st, fmt.Errorf("stripping line tables: %w", err)
				}
			}
			out = appendSection(out, sectionData, writeData(merged))
		case sectionDataCount:
			// The count is that of the data section, which follows; it is
			// patched once that is known.
			out = appendSection(out, sectionDataCount, nil)
		default:
			out = append(out, b[start:r.off]...)
		}
	}
	if !found {
		if opt.StripLines {
			return nil, st, errors.New("stripping line tables: the module has no data section")
		}
		return slices.Clone(b), st, nil
	}
	return patchDataCount(out, st.SegmentsOut), st, nil
}

// readData parses a data section's segments.
func readData(body []byte) ([]segment, error) {
	r := reader{b: body}
	n := r.u32()
	if r.err != nil {
		return nil, fmt.Errorf("segment count: %w", r.err)
	}
	if uint64(n) > uint64(len(body)) { // each segment takes ≥ 1 byte
		return nil, fmt.Errorf("%d segments in %d bytes", n, len(body))
	}
	segs := make([]segment, 0, n)
	for i := range n {
		at := r.off
		switch flags := r.u32(); {
		case r.err != nil:
		case flags == 2:
			if mem := r.u32(); r.err == nil && mem != 0 {
				return nil, fmt.Errorf("segment %d (byte %d) is for memory %d: only memory 0 can be packed", i, at, mem)
			}
		case flags == 1:
			return nil, fmt.Errorf("segment %d (byte %d) is passive: merging would renumber what memory.init uses", i, at)
		case flags != 0:
			return nil, fmt.Errorf("segment %d (byte %d): unknown flags %d", i, at, flags)
		}
		if op := r.byte(); r.err == nil && op != 0x41 {
			return nil, fmt.Errorf("segment %d (byte %d): its offset is not an i32.const (opcode %#x)", i, at, op)
		}
		off := r.s32()
		if end := r.byte(); r.err == nil && end != 0x0b {
			return nil, fmt.Errorf("segment %d (byte %d): its offset expression has more than an i32.const (opcode %#x)", i, at, end)
		}
		size := r.u32()
		if r.err != nil {
			return nil, fmt.Errorf("segment %d (byte %d): %w", i, at, r.err)
		}
		if uint64(size) > uint64(len(body)-r.off) {
			return nil, fmt.Errorf("segment %d (byte %d): its %d bytes run past the section's end", i, at, size)
		}
		if uint64(uint32(off))+uint64(size) > 1<<32 {
			return nil, fmt.Errorf("segment %d (byte %d): bytes %d..%d lie past 4 GiB", i, at, uint32(off), uint64(uint32(off))+uint64(size))
		}
		segs = append(segs, segment{offset: uint32(off), data: body[r.off : r.off+int(size)]})
		r.off += int(size)
	}
	if r.off != len(body) {
		return nil, fmt.Errorf("%d bytes after the last of %d segments", len(body)-r.off, n)
	}
	return segs, nil
}

// merge sorts the segments by offset and joins those at most gap bytes
// apart; zeros is the number of gap bytes filled in.
func merge(segs []segment, gap int) (out []segment, zeros int64, err error) {
	segs = slices.Clone(segs)
	slices.SortStableFunc(segs, func(a, b segment) int { return cmp.Compare(a.offset, b.offset) })
	for _, s := range segs {
		if len(out) == 0 {
			out = append(out, segment{offset: s.offset, data: slices.Clone(s.data)})
			continue
		}
		last := &out[len(out)-1]
		end := int64(last.offset) + int64(len(last.data))
		d := int64(s.offset) - end
		switch {
		case d < 0:
			return nil, 0, fmt.Errorf("segments overlap at memory byte %d (one ends at %d): their order would matter", s.offset, end)
		case d <= int64(gap):
			last.data = append(append(last.data, make([]byte, d)...), s.data...)
			zeros += d
		default:
			out = append(out, segment{offset: s.offset, data: slices.Clone(s.data)})
		}
	}
	return out, zeros, nil
}

// writeData encodes segments as a data section's body.
func writeData(segs []segment) []byte {
	b := appendU32(nil, uint32(len(segs)))
	for _, s := range segs {
		b = append(b, 0, 0x41)
		b = appendS32(b, int32(s.offset))
		b = append(b, 0x0b)
		b = appendU32(b, uint32(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}

func appendSection(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	b = appendU32(b, uint32(len(body)))
	return append(b, body...)
}

// patchDataCount writes n into the empty data count section Pack left in
// b, if there is one.
func patchDataCount(b []byte, n int) []byte {
	for r := (reader{b: b, off: len(magic)}); r.off < len(b); {
		start := r.off
		id := r.byte()
		size := r.u32()
		if id == sectionDataCount && size == 0 {
			return slices.Concat(b[:start], appendSection(nil, sectionDataCount, appendU32(nil, uint32(n))), b[r.off:])
		}
		r.off += int(size)
	}
	return b
}

// reader reads the binary format's integers; the first error sticks.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.err = errors.New("unexpected end of data")
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

// u32 reads an unsigned LEB128 of at most 5 bytes.
func (r *reader) u32() uint32 {
	var v uint64
	for i := 0; i < 5; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if v > 1<<32-1 {
				r.err = errors.New("a u32 LEB128 over 2^32-1")
				return 0
			}
			return uint32(v)
		}
	}
	r.err = errors.New("a u32 LEB128 longer than 5 bytes")
	return 0
}

// s32 reads a signed LEB128 of at most 5 bytes.
func (r *reader) s32() int32 {
	var v int64
	for i := 0; i < 5; i++ {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= int64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c&0x40 != 0 {
				v -= 1 << (7 * (i + 1))
			}
			if v < -1<<31 || v > 1<<31-1 {
				r.err = errors.New("an s32 LEB128 outside the int32 range")
				return 0
			}
			return int32(v)
		}
	}
	r.err = errors.New("an s32 LEB128 longer than 5 bytes")
	return 0
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendS32(b []byte, v int32) []byte {
	x := int64(v)
	for {
		c := byte(x & 0x7f)
		x >>= 7
		if (x == 0 && c&0x40 == 0) || (x == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
