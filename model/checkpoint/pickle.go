package checkpoint

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"unicode/utf8"
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

// Pickle opcodes understood by the machine (a subset of Python's).
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opBinFloat       = 'G'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opBinInt2        = 'M'
	opNone           = 'N'
	opBinPersID      = 'Q'
	opReduce         = 'R'
	opBinString      = 'T'
	opShortBinString = 'U'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opBuild          = 'b'
	opGlobal         = 'c'
	opAppends        = 'e'
	opBinGet         = 'h'
	opLongBinGet     = 'j'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opSetItems       = 'u'
	opEmptyDict      = '}'
	opEmptyList      = ']'
	opEmptyTuple     = ')'
	opBinBytes       = 'B'
	opShortBinBytes  = 'C'
	opProto          = 0x80
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opLong4          = 0x8b
	opShortBinUni    = 0x8c
	opBinUnicode8    = 0x8d
	opStackGlobal    = 0x93
	opMemoize        = 0x94
	opFrame          = 0x95
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
	items := append([]any(nil), u.stack[m:]...)
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

// long decodes LONG1/LONG4: a little-endian two's complement integer.
func (u *unpickler) long(op byte) error {
	width := uint64(1)
	if op == opLong4 {
		width = 4
	}
	n, err := u.uint(width)
	if err != nil {
		return err
	}
	if n > maxStringLen {
		return errorf(ErrUnsupported, "pickle integer of %d bytes is too large", n)
	}
	b, err := u.take(n)
	if err != nil {
		return err
	}
	if n == 0 {
		return u.push(int64(0))
	}
	neg := b[len(b)-1]&0x80 != 0
	if n <= 8 {
		var v uint64
		if neg {
			v = math.MaxUint64
		}
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		return u.push(int64(v))
	}
	be := make([]byte, len(b))
	for i, c := range b {
		be[len(b)-1-i] = c
	}
	v := new(big.Int).SetBytes(be)
	if neg {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	return u.push(v)
}

// text decodes the str and bytes opcodes.
func (u *unpickler) text(op byte) error {
	var width uint64
	switch op {
	case opShortBinUni, opShortBinString, opShortBinBytes:
		width = 1
	case opBinUnicode, opBinString, opBinBytes:
		width = 4
	default:
		width = 8
	}
	n, err := u.uint(width)
	if err != nil {
		return err
	}
	if op == opBinString && int32(n) < 0 {
		return errorf(ErrCorrupt, "pickle BINSTRING has negative length %d", int32(n))
	}
	if n > maxStringLen {
		return errorf(ErrUnsupported, "pickle string of %d bytes is longer than the %d allowed", n, maxStringLen)
	}
	b, err := u.take(n)
	if err != nil {
		return err
	}
	if op == opBinBytes || op == opShortBinBytes {
		return u.push(append([]byte(nil), b...))
	}
	if !utf8.Valid(b) {
		return errorf(ErrCorrupt, "pickle string is not valid UTF-8")
	}
	return u.push(string(b))
}

// global handles GLOBAL (two text lines) and STACK_GLOBAL (two strings on
// the stack); only allowed names pass.
func (u *unpickler) global(op byte) error {
	var module, name string
	var err error
	if op == opGlobal {
		if module, err = u.line(); err != nil {
			return err
		}
		if name, err = u.line(); err != nil {
			return err
		}
	} else {
		nv, err := u.pop()
		if err != nil {
			return err
		}
		mv, err := u.pop()
		if err != nil {
			return err
		}
		var ok1, ok2 bool
		module, ok1 = mv.(string)
		name, ok2 = nv.(string)
		if !ok1 || !ok2 {
			return errorf(ErrCorrupt, "pickle STACK_GLOBAL needs two str values, got %s and %s", pyTypeName(mv), pyTypeName(nv))
		}
	}
	g, err := lookupGlobal(module, name)
	if err != nil {
		return err
	}
	return u.push(g)
}

// line reads a newline-terminated GLOBAL argument.
func (u *unpickler) line() (string, error) {
	rest := u.data[u.pos:]
	i := bytes.IndexByte(rest[:min(len(rest), maxGlobalName+1)], '\n')
	if i < 0 {
		if len(rest) <= maxGlobalName {
			return "", errorf(ErrTruncated, "file is truncated: pickle GLOBAL name is not terminated")
		}
		return "", errorf(ErrCorrupt, "pickle GLOBAL name is longer than %d bytes", maxGlobalName)
	}
	u.pos += i + 1
	if !utf8.Valid(rest[:i]) {
		return "", errorf(ErrCorrupt, "pickle GLOBAL name is not valid UTF-8")
	}
	return string(rest[:i]), nil
}

// smallTuple handles TUPLE1..TUPLE3.
func (u *unpickler) smallTuple(n int) error {
	if len(u.stack)-u.markBase() < n {
		return errorf(ErrCorrupt, "pickle stack underflow")
	}
	t := append(pyTuple(nil), u.stack[len(u.stack)-n:]...)
	u.stack = u.stack[:len(u.stack)-n]
	return u.push(t)
}

// put handles BINPUT, LONG_BINPUT and MEMOIZE.
func (u *unpickler) put(op byte) error {
	var idx uint64
	var err error
	switch op {
	case opBinPut:
		idx, err = u.uint(1)
	case opLongBinPut:
		idx, err = u.uint(4)
	default: // MEMOIZE
		idx = uint64(len(u.memo))
	}
	if err != nil {
		return err
	}
	v, err := u.top()
	if err != nil {
		return err
	}
	if _, ok := u.memo[uint32(idx)]; !ok && len(u.memo) >= maxMemoLen {
		return errorf(ErrUnsupported, "pickle memo has more than %d entries", maxMemoLen)
	}
	u.memo[uint32(idx)] = v
	return nil
}

// get handles BINGET and LONG_BINGET.
func (u *unpickler) get(op byte) error {
	width := uint64(1)
	if op == opLongBinGet {
		width = 4
	}
	idx, err := u.uint(width)
	if err != nil {
		return err
	}
	v, ok := u.memo[uint32(idx)]
	if !ok {
		return errorf(ErrCorrupt, "pickle memo index %d is read before it is written", idx)
	}
	return u.push(v)
}

// setItems stores key/value pairs into the dict on top of the stack.
func (u *unpickler) setItems(items []any) error {
	if len(items)%2 != 0 {
		return errorf(ErrCorrupt, "pickle SETITEMS with an odd number (%d) of values", len(items))
	}
	t, err := u.top()
	if err != nil {
		return err
	}
	d, ok := t.(*pyDict)
	if !ok {
		return errorf(ErrCorrupt, "pickle SETITEM on a %s, not a dict", pyTypeName(t))
	}
	for i := 0; i < len(items); i += 2 {
		if err := d.set(items[i], items[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// appendItems appends to the list on top of the stack.
func (u *unpickler) appendItems(items []any) error {
	t, err := u.top()
	if err != nil {
		return err
	}
	l, ok := t.(*pyList)
	if !ok {
		return errorf(ErrCorrupt, "pickle APPEND on a %s, not a list", pyTypeName(t))
	}
	if len(l.items)+len(items) > maxContainerLen {
		return errorf(ErrUnsupported, "list has more than %d entries", maxContainerLen)
	}
	l.items = append(l.items, items...)
	return nil
}
