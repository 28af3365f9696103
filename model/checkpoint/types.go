package checkpoint

import "errors"

// DType names the element type of a tensor as stored in a file, using the
// safetensors spelling.
type DType string

// Element types. F32, F16, BF16, F64 are floating (decoded to float32); the
// others are integers (decoded to int64).
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	F64  DType = "F64"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	BOOL DType = "BOOL"
)

// Tensor is one decoded tensor in C (row-major) order.
type Tensor struct {
	Shape []int
	DType DType     // dtype as stored in the file (F32 for int8 weights dequantized by Read)
	F32   []float32 // values for floating dtypes (converted to float32)
	I64   []int64   // values for integer dtypes
}

// Numel returns the number of elements the shape describes (1 for a 0-dim
// tensor).
func (t *Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// StateDict is the set of named tensors read from a checkpoint.
type StateDict struct {
	Tensors           map[string]*Tensor
	Keys              []string          // in file order, after key normalization
	Meta              map[string]string // safetensors __metadata__ (nil for .pt)
	Format            string            // "pytorch" or "safetensors"
	HasOptimizerState bool              // .pt trainer dict carried non-empty optimizer state
	Trainer           TrainerRecord     // .pt trainer dict's "epoch" and "best_val" (zero for safetensors)
	FileDType         DType             // dominant float dtype of the file (I8 when int8 weights dominate)
	// Quantization is the scheme of the file's int8 weights (QuantInt8),
	// which Read has dequantized to F32 tensors, taking the entry
	// MetaQuantization out of Meta; "" for a file without.
	Quantization string
}

// TrainerRecord is what a .pt trainer dict records besides its weights:
// the top-level scalars "epoch" and "best_val". Only int and float scalars
// of the top-level dict are read; anything else leaves the field unset.
type TrainerRecord struct {
	HasEpoch   bool
	Epoch      int64 // "epoch": the trainer writes -1 into evalmodel.pt
	HasBestVal bool
	BestVal    float64 // "best_val": best validation top-1 accuracy as the trainer logged it (percent)
}

// Formats reported in StateDict.Format.
const (
	FormatPyTorch     = "pytorch"
	FormatSafetensors = "safetensors"
)

// Sentinel errors; the errors Read returns wrap one of them (test with
// errors.Is) and add what exactly is wrong.
var (
	// ErrNotCheckpoint: the data is neither a PyTorch zip nor safetensors.
	ErrNotCheckpoint = errors.New("not a checkpoint")
	// ErrTruncated: the data ends before the structures it declares.
	ErrTruncated = errors.New("file is truncated")
	// ErrCorrupt: the structure is present but inconsistent.
	ErrCorrupt = errors.New("checkpoint is corrupt")
	// ErrUnsupported: a valid but unsupported feature (compression method,
	// pickle opcode, dtype).
	ErrUnsupported = errors.New("unsupported checkpoint feature")
	// ErrUnsafe: the pickle names a GLOBAL outside the allowed set.
	ErrUnsafe = errors.New("unsafe pickle")
)

// dtypeInfo describes how one DType is stored.
type dtypeInfo struct {
	size  int  // bytes per element
	float bool // decoded into Tensor.F32 (else Tensor.I64)
}

var dtypes = map[DType]dtypeInfo{
	F32:  {4, true},
	F16:  {2, true},
	BF16: {2, true},
	F64:  {8, true},
	I64:  {8, false},
	I32:  {4, false},
	I16:  {2, false},
	I8:   {1, false},
	U8:   {1, false},
	BOOL: {1, false},
}

// IsFloat reports whether values of d are decoded into Tensor.F32.
func (d DType) IsFloat() bool { return dtypes[d].float }

// Size returns the number of bytes per element, or 0 for an unknown DType.
func (d DType) Size() int { return dtypes[d].size }
