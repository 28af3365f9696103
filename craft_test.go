package lowformer

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ziptest"
)

// Hand-made hostile checkpoints for the resource-bound tests: a tiny
// pickle writer (protocol 2 opcodes, as torch.save writes them) and the
// zip layout of a torch >= 1.6 checkpoint.

// pickler appends pickle opcodes.
type pickler struct{ bytes.Buffer }

func (p *pickler) op(b ...byte) *pickler { p.Write(b); return p }

func (p *pickler) str(s string) *pickler {
	p.WriteByte('X') // BINUNICODE
	binary.Write(p, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
	return p
}

func (p *pickler) global(module, name string) *pickler {
	p.WriteString("c" + module + "\n" + name + "\n")
	return p
}

// long pushes n as LONG1 (8 bytes, little-endian two's complement).
func (p *pickler) long(n int64) *pickler {
	p.op(0x8a, 8)
	binary.Write(p, binary.LittleEndian, n)
	return p
}

// tuple pushes a tuple of ints.
func (p *pickler) tuple(ns ...int64) *pickler {
	p.op('(')
	for _, n := range ns {
		p.long(n)
	}
	return p.op('t')
}

// tensorPickle is the pickle of {"w": tensor} where the tensor views
// storage "0" (FloatStorage of storageNumel elements) with shape and
// stride.
func tensorPickle(storageNumel int64, shape, stride []int64) []byte {
	var p pickler
	p.op(0x80, 2, '}') // PROTO 2, EMPTY_DICT
	p.str("w")
	p.global("torch._utils", "_rebuild_tensor_v2").op('(')
	p.op('(').str("storage").global("torch", "FloatStorage").str("0").str("cpu").long(storageNumel).op('t', 'Q') // BINPERSID
	p.long(0).tuple(shape...).tuple(stride...).op(0x89)                                                          // offset, size, stride, NEWFALSE
	p.global("collections", "OrderedDict").op(')', 'R')                                                          // OrderedDict()
	p.op('t', 'R', 's', '.')                                                                                     // TUPLE, REDUCE, SETITEM, STOP
	return p.Bytes()
}

// zipEntry is one file of a crafted checkpoint archive.
type zipEntry = ziptest.Entry

// checkpointZip packs entries as a torch checkpoint archive.
func checkpointZip(t testing.TB, entries ...zipEntry) []byte { return ziptest.Build(t, entries...) }

// allocated runs f and returns the bytes the process allocated meanwhile
// (runtime.MemStats.TotalAlloc, which counts every allocation whether or
// not it was collected since; the tests that use it do not run in parallel
// with others).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
