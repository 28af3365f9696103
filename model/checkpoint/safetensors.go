package checkpoint

import (
	"encoding/binary"
	"errors"
	"io"
	"sort"
	"strconv"

	"github.com/lowformer/lowformer-webgpu/internal/jsonlite"
)

// Bounds of a safetensors header. The header is decoded as a stream
// (internal/jsonlite) that keeps only the entries, so the entry cap bounds
// what a hostile header of many tiny entries can make the reader allocate
// (about 25 MB) independently of the file size. LowFormer checkpoints have
// at most a few hundred tensors and headers of tens of KB.
const (
	maxHeaderLen = 16 << 20
	maxTensors   = 16384
)

// metadataKey is the reserved header entry holding string metadata.
const metadataKey = "__metadata__"

// stEntry is one validated tensor entry of a safetensors header.
type stEntry struct {
	name       string
	dtype      DType
	shape      []int64
	numel      int64
	begin, end int64 // byte range within the data section
}

// readSafetensors reads a safetensors file.
func readSafetensors(r io.ReaderAt, size int64) (*StateDict, error) {
	var lenBuf [8]byte
	if n, err := r.ReadAt(lenBuf[:], 0); n < 8 {
		return nil, errorf(ErrTruncated, "file is truncated: reading the safetensors header length: %v", err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > maxHeaderLen {
		return nil, errorf(ErrCorrupt, "safetensors header length %d exceeds the %d-byte limit", hlen, maxHeaderLen)
	}
	if hlen > uint64(size-8) {
		return nil, errorf(ErrTruncated, "file is truncated: the safetensors header claims %d bytes but only %d follow", hlen, size-8)
	}
	header := make([]byte, hlen)
	if n, err := r.ReadAt(header, 8); n < len(header) {
		return nil, errorf(ErrTruncated, "file is truncated: reading the safetensors header: %v", err)
	}
	dataStart := 8 + int64(hlen)
	entries, meta, err := parseHeader(header, size-dataStart)
	if err != nil {
		return nil, err
	}
	quant, err := quantScheme(meta)
	if err != nil {
		return nil, err
	}
	b := newBuilder(FormatSafetensors)
	b.sd.Meta = meta
	var scratch []byte
	for _, e := range entries {
		buf := grow(&scratch, int(e.end-e.begin))
		if n, err := r.ReadAt(buf, dataStart+e.begin); n < len(buf) {
			return nil, errorf(ErrTruncated, "file is truncated: reading tensor %q: %v", e.name, err)
		}
		if err := b.add(e.name, newTensor(e.dtype, e.shape, e.numel, buf, quant != "")); err != nil {
			return nil, err
		}
	}
	if quant == "" {
		if err := checkUnrecordedQuant(b.sd); err != nil {
			return nil, err
		}
		return b.finish(), nil
	}
	n, err := dequantize(b.sd)
	if err != nil {
		return nil, err
	}
	// The tensors are float32 now: the scheme moves from Meta to Quantization,
	// so that Meta describes what the state dict holds (writing it again
	// gives a float file).
	b.sd.Quantization = quant
	delete(b.sd.Meta, MetaQuantization)
	b.counts[I8] += n
	return b.finish(), nil
}

// rawEntry is a header entry as JSON spells it; Shape is nil when the
// entry has none (or null).
type rawEntry struct {
	DType       string
	Shape       []int64
	DataOffsets []int64
}

// parseHeader decodes the JSON header in order and validates every entry
// against the dataLen bytes of the data section.
func parseHeader(header []byte, dataLen int64) ([]stEntry, map[string]string, error) {
	dec := jsonlite.NewDecoder(header)
	if k, err := dec.Peek(); err != nil || k != jsonlite.Object {
		return nil, nil, errorf(ErrCorrupt, "safetensors header is not a JSON object")
	}
	var entries []stEntry
	var meta map[string]string
	seen := map[string]bool{}
	var bad error // a validation error, which stops the walk
	err := dec.Object(func(name string) error {
		if seen[name] {
			bad = errorf(ErrCorrupt, "safetensors header lists %q twice", name)
			return bad
		}
		seen[name] = true
		if name == metadataKey {
			var err error
			if meta, err = stringMap(dec); err != nil {
				bad = errorf(ErrCorrupt, "safetensors __metadata__ must map strings to strings: %v", err)
			}
			return bad
		}
		raw, err := entryOf(dec)
		if err != nil {
			bad = errorf(ErrCorrupt, "safetensors entry %q is malformed: %v", name, err)
			return bad
		}
		e, err := checkEntry(name, raw, dataLen)
		if err != nil {
			bad = err
			return bad
		}
		if len(entries) == maxTensors {
			bad = errorf(ErrUnsupported, "safetensors header lists more than %d tensors", maxTensors)
			return bad
		}
		entries = append(entries, e)
		return nil
	})
	if bad != nil {
		return nil, nil, bad
	}
	if err != nil {
		return nil, nil, errorf(ErrCorrupt, "safetensors header is malformed JSON: %v", err)
	}
	if n := dec.Offset(); n < len(header) {
		return nil, nil, errorf(ErrCorrupt, "safetensors header has %d bytes of trailing data", len(header)-n)
	}
	return entries, meta, checkOverlaps(entries)
}

// stringMap reads __metadata__ as encoding/json decodes it into a
// map[string]string: an object of strings (null reads as "", a repeated
// name keeps its last value), or null (nil).
func stringMap(dec *jsonlite.Decoder) (map[string]string, error) {
	if dec.Null() {
		return nil, nil
	}
	m := map[string]string{}
	return m, dec.Object(func(name string) error {
		if dec.Null() {
			m[name] = ""
			return nil
		}
		v, err := dec.String()
		m[name] = v
		return err
	})
}

// entryOf reads a tensor entry: an object with dtype (a string), shape
// and data_offsets (arrays of integers, or null); other members are
// skipped and a repeated one keeps its last value.
func entryOf(dec *jsonlite.Decoder) (rawEntry, error) {
	var raw rawEntry
	err := dec.Object(func(name string) error {
		var err error
		switch name {
		case "dtype":
			raw.DType, err = dec.String()
		case "shape":
			raw.Shape, err = intList(dec)
		case "data_offsets":
			raw.DataOffsets, err = intList(dec)
		default:
			err = dec.Skip()
		}
		return err
	})
	return raw, err
}

// intList reads an array of at most maxDims+1 integers (an empty, non-nil
// slice for []; more cannot be a valid shape or data_offsets), or null
// (nil).
func intList(dec *jsonlite.Decoder) ([]int64, error) {
	if dec.Null() {
		return nil, nil
	}
	out := []int64{}
	err := dec.Array(func() error {
		if len(out) > maxDims {
			return errors.New("more than " + strconv.Itoa(maxDims+1) + " integers")
		}
		n, err := dec.Int64()
		out = append(out, n)
		return err
	})
	return out, err
}

// checkEntry validates dtype, shape and offsets of one entry.
func checkEntry(name string, raw rawEntry, dataLen int64) (stEntry, error) {
	e := stEntry{name: name, dtype: DType(raw.DType), shape: raw.Shape}
	if e.dtype.Size() == 0 {
		return e, errorf(ErrUnsupported, "safetensors tensor %q has unsupported dtype %q", name, raw.DType)
	}
	if raw.Shape == nil || len(raw.Shape) > maxDims {
		return e, errorf(ErrCorrupt, "safetensors tensor %q has no shape or more than %d dimensions", name, maxDims)
	}
	for _, d := range raw.Shape {
		if d < 0 {
			return e, errorf(ErrCorrupt, "safetensors tensor %q has a negative dimension in shape %v", name, raw.Shape)
		}
	}
	numel, err := checkedNumel(raw.Shape)
	if err != nil {
		return e, wrapf(err, "safetensors tensor %q", name)
	}
	e.numel = numel
	nbytes, ok := mulNonNeg(numel, int64(e.dtype.Size()))
	if !ok {
		return e, errorf(ErrCorrupt, "safetensors tensor %q with shape %v is too large", name, raw.Shape)
	}
	if len(raw.DataOffsets) != 2 {
		return e, errorf(ErrCorrupt, "safetensors tensor %q needs data_offsets [begin, end], got %v", name, raw.DataOffsets)
	}
	e.begin, e.end = raw.DataOffsets[0], raw.DataOffsets[1]
	switch {
	case e.begin < 0 || e.end < e.begin:
		return e, errorf(ErrCorrupt, "safetensors tensor %q has invalid data_offsets %v", name, raw.DataOffsets)
	case e.end > dataLen:
		return e, errorf(ErrTruncated, "file is truncated: safetensors tensor %q ends at data byte %d but the data section has %d bytes", name, e.end, dataLen)
	case e.end-e.begin != nbytes:
		return e, errorf(ErrCorrupt, "safetensors tensor %q: %s %v needs %d bytes but data_offsets %v span %d", name, e.dtype, raw.Shape, nbytes, raw.DataOffsets, e.end-e.begin)
	}
	return e, nil
}

// checkOverlaps fails when two non-empty tensors share data bytes.
func checkOverlaps(entries []stEntry) error {
	sorted := make([]stEntry, 0, len(entries))
	for _, e := range entries {
		if e.end > e.begin {
			sorted = append(sorted, e)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].begin < sorted[j].begin })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].begin < sorted[i-1].end {
			return errorf(ErrCorrupt, "safetensors tensors %q and %q overlap in the data section", sorted[i-1].name, sorted[i].name)
		}
	}
	return nil
}
