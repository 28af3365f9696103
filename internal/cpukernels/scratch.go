package cpukernels

// Scratch is per-worker temporary memory shared by the kernels of a plan,
// which run one at a time: each kernel states at construction how much it
// needs and takes its worker's buffer while a task runs.
type Scratch struct {
	bufs   [][]float32
	packs  [][]float32 // per worker: the GEMM's packed rows of A (packLen)
	shared []float32   // one buffer for kernels whose phases share data
}

// NewScratch returns an empty scratch for workers workers.
func NewScratch(workers int) *Scratch {
	return &Scratch{bufs: make([][]float32, max(1, workers)), packs: make([][]float32, max(1, workers))}
}

// Workers is the number of workers the scratch serves.
func (s *Scratch) Workers() int { return len(s.bufs) }

// Bytes is the memory held.
func (s *Scratch) Bytes() int64 {
	return 4 * (int64(len(s.bufs))*int64(len(s.bufs[0])+len(s.packs[0])) + int64(len(s.shared)))
}

// need grows every worker's buffer to at least n values.
func (s *Scratch) need(n int) {
	if len(s.bufs[0]) >= n {
		return
	}
	for i := range s.bufs {
		s.bufs[i] = make([]float32, n)
	}
}

// get returns n values of worker's buffer.
func (s *Scratch) get(worker, n int) []float32 { return s.bufs[worker][:n] }

// needShared grows the buffer shared by all workers to at least n values.
func (s *Scratch) needShared(n int) {
	if len(s.shared) < n {
		s.shared = make([]float32, n)
	}
}

// needPack grows every worker's GEMM packing buffer to hold the packed rows
// of A for b.
func (s *Scratch) needPack(b *PackedB) {
	n := packLen(b)
	if len(s.packs[0]) >= n {
		return
	}
	for i := range s.packs {
		s.packs[i] = make([]float32, n)
	}
}

// pack returns worker's GEMM packing buffer for b.
func (s *Scratch) pack(worker int, b *PackedB) []float32 { return s.packs[worker][:packLen(b)] }
