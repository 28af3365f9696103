package checkpoint

import (
	"encoding/binary"
	"math"
)

// Bounds of the pickle machine. Every value it creates consumes at least one
// input byte, so memory is linear in the pickle size anyway; these limits
// reject absurd inputs early with a clear message.
const (
	maxStackLen     = 1 << 20 // values on the stack
	maxMarkDepth    = 1 << 12 // nested MARKs
	maxMemoLen      = 1 << 22 // memo entries
	maxStringLen    = 1 << 24 // bytes in one str/bytes/int literal
	maxContainerLen = 1 << 24 // entries in one list or dict
	maxGlobalName   = 256     // bytes in a GLOBAL module or name line
	maxProtocol     = 5
)

// unpickler is a pickle virtual machine restricted to the opcodes and
// GLOBALs of PyTorch checkpoints. It never executes code: the only callables
// are the allowed globals, interpreted in reduce.
type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int // stack lengths at each MARK
	memo  map[uint32]any
	// storage validates a storage reference created by BINPERSID.
	storage func(*storageRef) error
}

// unpickle runs the machine over data (named name in errors) and returns the
// value STOP yields. storage, if not nil, checks each persistent storage
// reference.
func unpickle(data []byte, name string, storage func(*storageRef) error) (any, error) {
	u := &unpickler{data: data, memo: map[uint32]any{}, storage: storage}
	for {
		if u.pos >= len(u.data) {
			return nil, errorf(ErrTruncated, "file is truncated: %s ends after %d bytes without STOP", name, len(u.data))
		}
		start, op := u.pos, u.data[u.pos]
		u.pos++
		if op == opStop {
			v, err := u.pop()
			if err != nil {
				return nil, &pickleError{file: name, pos: start, op: op, err: err}
			}
			return v, nil
		}
		if err := u.step(op); err != nil {
			return nil, &pickleError{file: name, pos: start, op: op, err: err}
		}
	}
}

// step executes one opcode (other than STOP).
func (u *unpickler) step(op byte) error {
	switch op {
	case opProto:
		b, err := u.take(1)
		if err != nil {
			return err
		}
		if b[0] > maxProtocol {
			return errorf(ErrUnsupported, "pickle protocol %d is not supported", b[0])
		}
		return nil
	case opFrame:
		n, err := u.uint(8)
		if err != nil {
			return err
		}
		if n > uint64(len(u.data)-u.pos) {
			return errorf(ErrTruncated, "file is truncated: pickle frame of %d bytes exceeds the remaining %d", n, len(u.data)-u.pos)
		}
		return nil
	case opMark:
		if len(u.marks) >= maxMarkDepth {
			return errorf(ErrUnsupported, "pickle MARKs nested deeper than %d", maxMarkDepth)
		}
		u.marks = append(u.marks, len(u.stack))
		return nil
	case opEmptyDict:
		return u.push(newDict())
	case opEmptyList:
		return u.push(&pyList{})
	case opEmptyTuple:
		return u.push(pyTuple{})
	case opNone:
		return u.push(nil)
	case opNewTrue:
		return u.push(true)
	case opNewFalse:
		return u.push(false)
	case opBinInt:
		n, err := u.uint(4)
		if err != nil {
			return err
		}
		return u.push(int64(int32(n)))
	case opBinInt1:
		n, err := u.uint(1)
		if err != nil {
			return err
		}
		return u.push(int64(n))
	case opBinInt2:
		n, err := u.uint(2)
		if err != nil {
			return err
		}
		return u.push(int64(n))
	case opLong1, opLong4:
		return u.long(op)
	case opBinFloat:
		b, err := u.take(8)
		if err != nil {
			return err
		}
		return u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case opBinUnicode, opShortBinUni, opBinUnicode8, opBinString, opShortBinString, opBinBytes, opShortBinBytes:
		return u.text(op)
	case opGlobal, opStackGlobal:
		return u.global(op)
	case opTuple:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.push(pyTuple(items))
	case opTuple1, opTuple2, opTuple3:
		return u.smallTuple(int(op-opTuple1) + 1)
	case opBinPut, opLongBinPut, opMemoize:
		return u.put(op)
	case opBinGet, opLongBinGet:
		return u.get(op)
	case opPop:
		if len(u.stack) > u.markBase() {
			u.stack = u.stack[:len(u.stack)-1]
			return nil
		}
		_, err := u.popMark()
		return err
	case opPopMark:
		_, err := u.popMark()
		return err
	case opDup:
		v, err := u.top()
		if err != nil {
			return err
		}
		return u.push(v)
	}
	return u.stepObjects(op)
}

// stepObjects executes the opcodes that build or fill objects.
func (u *unpickler) stepObjects(op byte) error {
	switch op {
	case opReduce:
		args, err := u.pop()
		if err != nil {
			return err
		}
		fn, err := u.pop()
		if err != nil {
			return err
		}
		v, err := reduce(fn, args)
		if err != nil {
			return err
		}
		return u.push(v)
	case opBuild:
		// The only BUILD in a state dict sets OrderedDict._metadata; the
		// state is dropped and the object stays on the stack.
		if _, err := u.pop(); err != nil {
			return err
		}
		_, err := u.top()
		return err
	case opBinPersID:
		pid, err := u.pop()
		if err != nil {
			return err
		}
		s, err := newStorageRef(pid)
		if err != nil {
			return err
		}
		if u.storage != nil {
			if err := u.storage(s); err != nil {
				return err
			}
		}
		return u.push(s)
	case opSetItem:
		v, err := u.pop()
		if err != nil {
			return err
		}
		k, err := u.pop()
		if err != nil {
			return err
		}
		return u.setItems([]any{k, v})
	case opSetItems:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.setItems(items)
	case opAppend:
		v, err := u.pop()
		if err != nil {
			return err
		}
		return u.appendItems([]any{v})
	case opAppends:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.appendItems(items)
	}
	return errorf(ErrUnsupported, "pickle opcode %s is not supported (PyTorch state dicts do not use it)", opName(op))
}

// markBase is the stack length below which the current MARK protects items.
func (u *unpickler) markBase() int {
	if len(u.marks) == 0 {
		return 0
	}
	return u.marks[len(u.marks)-1]
}

func (u *unpickler) push(v any) error {
	if len(u.stack) >= maxStackLen {
		return errorf(ErrUnsupported, "pickle stack deeper than %d values", maxStackLen)
	}
	u.stack = append(u.stack, v)
	return nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) <= u.markBase() {
		return nil, errorf(ErrCorrupt, "pickle stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

func (u *unpickler) pop() (any, error) {
	v, err := u.top()
	if err == nil {
		u.stack = u.stack[:len(u.stack)-1]
	}
	return v, err
}

// popMark removes and returns (a copy of) the values above the last MARK.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, errorf(ErrCorrupt, "pickle MARK missing")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := make([]any, len(u.stack)-m)
	copy(items, u.stack[m:])
	clear(u.stack[m:])
	u.stack = u.stack[:m]
	return items, nil
}

// take consumes n argument bytes.
func (u *unpickler) take(n uint64) ([]byte, error) {
	if n > uint64(len(u.data)-u.pos) {
		return nil, errorf(ErrTruncated, "file is truncated: pickle argument of %d bytes runs past the end of the %d-byte pickle", n, len(u.data))
	}
	b := u.data[u.pos : u.pos+int(n)]
	u.pos += int(n)
	return b, nil
}

// uint consumes an n-byte little-endian unsigned integer (n <= 8).
func (u *unpickler) uint(n uint64) (uint64, error) {
	b, err := u.take(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}
