package checkpoint

import "fmt"

// pickleError locates an error at one opcode of the pickle.
type pickleError struct {
	file string
	pos  int
	op   byte
	err  error
}

func (e *pickleError) Error() string {
	return fmt.Sprintf("%v [pickle opcode %s at byte %d of %s]", e.err, opName(e.op), e.pos, e.file)
}

func (e *pickleError) Unwrap() error { return e.err }
