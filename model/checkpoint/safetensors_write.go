package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lowformer/lowformer-webgpu/internal/jsonlite"
)

// WriteSafetensors writes sd as a safetensors file. Floating tensors are
// written as dtype (F32, F16 or BF16, rounded to nearest even); integer
// tensors are written as I64, except I8 tensors (QuantizeInt8's), which
// stay I8. Tensors are written in sd.Keys order (sorted
// by name when Keys is empty), and meta (may be nil) becomes the header's
// __metadata__. Values that would overflow to infinity in dtype are an
// error, and nothing is written when sd is invalid.
func WriteSafetensors(w io.Writer, sd *StateDict, dtype DType, meta map[string]string) error {
	if dtype != F32 && dtype != F16 && dtype != BF16 {
		return fmt.Errorf("checkpoint: cannot write safetensors as %q (want F32, F16 or BF16)", dtype)
	}
	keys, err := writeOrder(sd)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	header, err := buildHeader(sd, keys, dtype, meta)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	bw.Write(lenBuf[:])
	bw.Write(header)
	chunk := make([]byte, 0, 1<<16)
	for _, k := range keys {
		t := sd.Tensors[k]
		if isFloatTensor(t) {
			size := dtype.Size()
			for _, v := range t.F32 {
				if len(chunk)+size > cap(chunk) {
					bw.Write(chunk)
					chunk = chunk[:0]
				}
				chunk = appendFloat(chunk, v, dtype)
			}
		} else {
			for _, v := range t.I64 {
				if len(chunk)+8 > cap(chunk) {
					bw.Write(chunk)
					chunk = chunk[:0]
				}
				if t.DType == I8 {
					chunk = append(chunk, byte(int8(v)))
				} else {
					chunk = binary.LittleEndian.AppendUint64(chunk, uint64(v))
				}
			}
		}
	}
	bw.Write(chunk)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("checkpoint: writing safetensors: %w", err)
	}
	return nil
}

// writeOrder returns the keys to write and checks they match sd.Tensors.
func writeOrder(sd *StateDict) ([]string, error) {
	if sd == nil {
		return nil, fmt.Errorf("nil state dict")
	}
	keys := sd.Keys
	if len(keys) == 0 {
		for k := range sd.Tensors {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			return nil, fmt.Errorf("key %q is listed twice in Keys", k)
		}
		seen[k] = true
		if sd.Tensors[k] == nil {
			return nil, fmt.Errorf("key %q has no tensor", k)
		}
		if k == metadataKey {
			return nil, fmt.Errorf("a tensor may not be named %s", metadataKey)
		}
	}
	if len(keys) != len(sd.Tensors) {
		return nil, fmt.Errorf("Keys lists %d tensors but Tensors holds %d", len(keys), len(sd.Tensors))
	}
	return keys, nil
}

// isFloatTensor tells whether t carries float values (an empty DType is
// inferred from which slice is set).
func isFloatTensor(t *Tensor) bool {
	if t.DType == "" {
		return t.I64 == nil
	}
	return t.DType.IsFloat()
}

// buildHeader validates every tensor and returns the JSON header, padded
// with spaces to a multiple of 8 bytes.
func buildHeader(sd *StateDict, keys []string, dtype DType, meta map[string]string) ([]byte, error) {
	var h bytes.Buffer
	h.WriteByte('{')
	if meta != nil {
		h.WriteString(`"` + metadataKey + `":`)
		h.Write(appendStringMap(nil, meta))
	}
	offset := int64(0)
	for i, k := range keys {
		t := sd.Tensors[k]
		outType, n, err := checkWritable(k, t, dtype)
		if err != nil {
			return nil, err
		}
		if i > 0 || meta != nil {
			h.WriteByte(',')
		}
		name := jsonlite.AppendString(nil, k)
		shape := make([]string, len(t.Shape))
		for j, d := range t.Shape {
			shape[j] = strconv.Itoa(d)
		}
		end := offset + int64(n)*int64(outType.Size())
		fmt.Fprintf(&h, `%s:{"dtype":"%s","shape":[%s],"data_offsets":[%d,%d]}`,
			name, outType, strings.Join(shape, ","), offset, end)
		offset = end
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	return h.Bytes(), nil
}

// checkWritable validates one tensor and returns its output dtype and
// element count.
func checkWritable(k string, t *Tensor, dtype DType) (DType, int, error) {
	if t.DType != "" && t.DType.Size() == 0 {
		return "", 0, fmt.Errorf("tensor %q has unknown dtype %q", k, t.DType)
	}
	n := int64(1)
	for _, d := range t.Shape {
		var ok bool
		if n, ok = mulNonNeg(n, int64(d)); !ok {
			return "", 0, fmt.Errorf("tensor %q has invalid shape %v", k, t.Shape)
		}
	}
	if !isFloatTensor(t) {
		if int64(len(t.I64)) != n || t.F32 != nil {
			return "", 0, fmt.Errorf("tensor %q: shape %v needs %d int values, has %d (and %d float values)", k, t.Shape, n, len(t.I64), len(t.F32))
		}
		if t.DType == I8 {
			for i, v := range t.I64 {
				if v < math.MinInt8 || v > math.MaxInt8 {
					return "", 0, fmt.Errorf("tensor %q: value %d at index %d does not fit I8", k, v, i)
				}
			}
			return I8, int(n), nil
		}
		return I64, int(n), nil
	}
	if int64(len(t.F32)) != n || t.I64 != nil {
		return "", 0, fmt.Errorf("tensor %q: shape %v needs %d float values, has %d (and %d int values)", k, t.Shape, n, len(t.F32), len(t.I64))
	}
	if dtype != F32 {
		var tmp []byte
		for i, v := range t.F32 {
			tmp = appendFloat(tmp[:0], v, dtype)
			if !math.IsInf(float64(v), 0) && isInfBits(tmp, dtype) {
				return "", 0, fmt.Errorf("tensor %q: value %g at index %d overflows %s", k, v, i, dtype)
			}
		}
	}
	return dtype, int(n), nil
}

// appendFloat appends v encoded as dtype (F32, F16 or BF16).
func appendFloat(b []byte, v float32, dtype DType) []byte {
	switch dtype {
	case F16:
		return binary.LittleEndian.AppendUint16(b, f32ToF16(v))
	case BF16:
		return binary.LittleEndian.AppendUint16(b, f32ToBF16(v))
	}
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}

// isInfBits reports whether the 16-bit encoding in b is ±Inf.
func isInfBits(b []byte, dtype DType) bool {
	h := binary.LittleEndian.Uint16(b) & 0x7fff
	if dtype == F16 {
		return h == 0x7c00
	}
	return h == 0x7f80
}

// appendStringMap appends m as a JSON object with sorted names, as
// encoding/json's Marshal writes a map[string]string.
func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonlite.AppendString(b, k)
		b = append(b, ':')
		b = jsonlite.AppendString(b, m[k])
	}
	return append(b, '}')
}
