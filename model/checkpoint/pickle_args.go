package checkpoint

import (
	"bytes"
	"math"
	"unicode/utf8"
)

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
	v := pyLong{le: string(b)}
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
