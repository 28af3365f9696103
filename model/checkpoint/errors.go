package checkpoint

import (
	"errors"
	"fmt"
)

// kindError is an error with a precise message that also matches one of the
// sentinel errors through errors.Is.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }

// Is reports whether target is the sentinel this error belongs to.
func (e *kindError) Is(target error) bool { return target == e.kind }

// errorf formats an error message that matches kind under errors.Is.
func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// wrapf prefixes err's message with context and keeps its sentinel kind
// (ErrCorrupt when it has none).
func wrapf(err error, format string, args ...any) error {
	kind := ErrCorrupt
	for _, k := range []error{ErrUnsafe, ErrTruncated, ErrUnsupported, ErrNotCheckpoint, ErrCorrupt} {
		if errors.Is(err, k) {
			kind = k
			break
		}
	}
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...) + ": " + err.Error()}
}
