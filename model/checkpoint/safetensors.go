package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"sort"
)

// Bounds of a safetensors header. Parsing allocates roughly 1.4 KB per
// entry, so the entry cap bounds what a hostile header of many tiny entries
// can make the reader allocate (about 25 MB) independently of the file size.
// LowFormer checkpoints have at most a few hundred tensors and headers of
// tens of KB.
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

// rawEntry is a header entry as JSON spells it.
type rawEntry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// parseHeader decodes the JSON header in order and validates every entry
// against the dataLen bytes of the data section.
func parseHeader(header []byte, dataLen int64) ([]stEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errorf(ErrCorrupt, "safetensors header is not a JSON object")
	}
	var entries []stEntry
	var meta map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, errorf(ErrCorrupt, "safetensors header is malformed JSON: %v", err)
		}
		name, _ := tok.(string)
		if seen[name] {
			return nil, nil, errorf(ErrCorrupt, "safetensors header lists %q twice", name)
		}
		seen[name] = true
		if name == metadataKey {
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, errorf(ErrCorrupt, "safetensors __metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		var raw rawEntry
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, errorf(ErrCorrupt, "safetensors entry %q is malformed: %v", name, err)
		}
		e, err := checkEntry(name, raw, dataLen)
		if err != nil {
			return nil, nil, err
		}
		if len(entries) == maxTensors {
			return nil, nil, errorf(ErrUnsupported, "safetensors header lists more than %d tensors", maxTensors)
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, errorf(ErrCorrupt, "safetensors header is malformed JSON: %v", err)
	}
	if rest := bytes.TrimRight(header[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, nil, errorf(ErrCorrupt, "safetensors header has %d bytes of trailing data", len(rest))
	}
	return entries, meta, checkOverlaps(entries)
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
