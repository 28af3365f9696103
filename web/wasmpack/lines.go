package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// pclnMagic starts the header of the Go runtime's function table
// (runtime.pcHeader) in the format of Go 1.20 and later: the magic
// 0xfffffff1, two zero pads, the minimum instruction size (1 on wasm) and
// the pointer size (8).
var pclnMagic = []byte{0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8}

// stripLines removes the pc→line and pc→file tables of the Go runtime's
// function table (pclntab) from the memory the segments write: it sets
// every function's pcfile and pcln offsets (runtime._func) to 0, which the
// runtime reads as "no table" (a traceback then shows ?:0 for a frame's
// file and line, its function name stays), and overwrites with zeros the
// bytes of those tables that no kept table (pcsp, pcdata) shares. The
// layout stays the same, so nothing that points into the table moves; the
// zeros compress to almost nothing. It returns the number of bytes zeroed.
//
// The pclntab must lie in one segment (Pack's merge gives that).
func stripLines(segs []segment) (int, error) {
	var hdr *segment
	at := -1
	for i := range segs {
		j := bytes.Index(segs[i].data, pclnMagic)
		if j < 0 {
			continue
		}
		if hdr != nil || bytes.Contains(segs[i].data[j+1:], pclnMagic) {
			return 0, errors.New("the Go function table's header (pcHeader) appears more than once")
		}
		hdr, at = &segs[i], j
	}
	if hdr == nil {
		return 0, errors.New("no Go function table (pcHeader of Go 1.20+, wasm) in the data: not a Go wasm module, or split over segments (raise -gap)")
	}
	d := hdr.data
	u64 := func(off int) (int, error) {
		if off < 0 || off+8 > len(d) {
			return 0, fmt.Errorf("the function table runs past its data segment (byte %d)", off)
		}
		v := binary.LittleEndian.Uint64(d[off:])
		if v > uint64(len(d)) {
			return 0, fmt.Errorf("the function table's header has %d where at most %d fits", v, len(d))
		}
		return int(v), nil
	}
	var f [8]int // nfunc, nfiles, _, funcname, cu, filetab, pctab, pcln
	for i := range f {
		v, err := u64(at + 8 + 8*i)
		if err != nil {
			return 0, err
		}
		f[i] = v
	}
	nfunc, pctab, ftab := f[0], at+f[6], at+f[7]
	if nfunc == 0 || !(f[3] < f[4] && f[4] <= f[5] && f[5] <= f[6] && f[6] < f[7]) || ftab+8*(nfunc+1) > len(d) {
		return 0, fmt.Errorf("the function table's header is not one this tool knows (%d functions, offsets %v)", nfunc, f[3:])
	}
	u32 := func(off int) (uint32, error) {
		if off < 0 || off+4 > len(d) {
			return 0, fmt.Errorf("the function table runs past its data segment (byte %d)", off)
		}
		return binary.LittleEndian.Uint32(d[off:]), nil
	}
	// table returns the bytes [start, end) of the pc-value table at
	// offset off of pctab: pairs of varints (value delta, pc delta) up to
	// a zero value delta after the first pair.
	table := func(off uint32) (int, int, error) {
		i := pctab + int(off)
		start := i
		for first := true; ; first = false {
			v, n := binary.Uvarint(d[min(i, ftab):ftab])
			if n <= 0 {
				return 0, 0, fmt.Errorf("a pc-value table at %d runs past the tables' end", off)
			}
			i += n
			if v == 0 && !first {
				return start, i, nil
			}
			if _, n = binary.Uvarint(d[min(i, ftab):ftab]); n <= 0 {
				return 0, 0, fmt.Errorf("a pc-value table at %d runs past the tables' end", off)
			}
			i += n
		}
	}
	kept := make([]bool, ftab-pctab)
	type span struct{ start, end int }
	var drop []span
	var fields []int // where each function's pcfile field is
	for k := range nfunc {
		fo, err := u32(ftab + 8*k + 4)
		if err != nil {
			return 0, err
		}
		fa := ftab + int(fo)
		var w [8]uint32 // entry, name, args, deferreturn, pcsp, pcfile, pcln, npcdata
		for i := range w {
			if w[i], err = u32(fa + 4*i); err != nil {
				return 0, err
			}
		}
		if w[7] > 256 { // npcdata: the runtime has a handful of pcdata tables
			return 0, fmt.Errorf("function %d has %d pcdata tables: not a _func this tool knows", k, w[7])
		}
		offs := []uint32{w[4]}
		for i := range int(w[7]) {
			o, err := u32(fa + 44 + 4*i)
			if err != nil {
				return 0, err
			}
			offs = append(offs, o)
		}
		for _, o := range offs {
			if o == 0 {
				continue
			}
			s, e, err := table(o)
			if err != nil {
				return 0, fmt.Errorf("function %d: %w", k, err)
			}
			for i := s; i < e; i++ {
				kept[i-pctab] = true
			}
		}
		for _, o := range w[5:7] {
			if o == 0 {
				continue
			}
			s, e, err := table(o)
			if err != nil {
				return 0, fmt.Errorf("function %d: %w", k, err)
			}
			drop = append(drop, span{s, e})
		}
		fields = append(fields, fa+20)
	}
	zeroed := 0
	for _, s := range drop {
		for i := s.start; i < s.end; i++ {
			if !kept[i-pctab] && d[i] != 0 {
				d[i] = 0
				zeroed++
			}
		}
	}
	for _, fa := range fields {
		clear(d[fa : fa+8]) // pcfile, pcln
	}
	return zeroed, nil
}
