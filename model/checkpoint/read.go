package checkpoint

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// legacyMagic starts a pre-1.6 (non-zip) torch.save file: PROTO 2 and
// LONG1 of torch's magic number 0x1950a86a20f9469cfc6c.
var legacyMagic = []byte("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19")

// Read reads a checkpoint of size bytes from r, detecting the format by
// content: a zip archive is a PyTorch checkpoint, a little-endian header
// length followed by '{' is safetensors. Errors start with "checkpoint: "
// and match one of the Err* sentinels. StateDict.FileDType is empty when
// the file holds no float tensors.
//
// Memory is bounded: besides the decoded tensors, a read allocates the
// pickle and one scratch buffer of the largest tensor; tensors may view at
// most twice the file size in storage bytes, and deflated zip entries may
// not inflate beyond the file size plus 1 MiB.
func Read(r io.ReaderAt, size int64) (*StateDict, error) {
	sd, err := read(r, size)
	if err != nil {
		return nil, wrapf(err, "checkpoint")
	}
	return sd, nil
}

// ReadFile reads the checkpoint at path.
func ReadFile(path string) (*StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	sd, err := read(f, st.Size())
	if err != nil {
		return nil, wrapf(err, "checkpoint: %s", path)
	}
	return sd, nil
}

// ReadBytes reads a checkpoint held in memory.
func ReadBytes(b []byte) (*StateDict, error) {
	return Read(bytes.NewReader(b), int64(len(b)))
}

// read detects the format and dispatches.
func read(r io.ReaderAt, size int64) (*StateDict, error) {
	if size == 0 {
		return nil, errorf(ErrNotCheckpoint, "not a checkpoint: the file is empty")
	}
	if size < 0 {
		return nil, errorf(ErrCorrupt, "invalid file size %d", size)
	}
	head := make([]byte, min(size, int64(len(legacyMagic))))
	if n, err := r.ReadAt(head, 0); n < len(head) {
		return nil, errorf(ErrTruncated, "file is truncated or unreadable: %v", err)
	}
	zipMagic := []byte("PK\x03\x04")
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return readPyTorch(r, size)
	case len(head) > 8 && head[8] == '{':
		return readSafetensors(r, size)
	case bytes.HasPrefix(head, legacyMagic):
		return nil, errorf(ErrUnsupported, "legacy (torch < 1.6, non-zip) checkpoints are not supported; re-save the file with torch >= 1.6 torch.save")
	case bytes.HasPrefix(zipMagic, head), size <= 8:
		return nil, errorf(ErrTruncated, "file is truncated: %d bytes are too few for a checkpoint", size)
	}
	return nil, errorf(ErrNotCheckpoint, "not a checkpoint: the data is neither a PyTorch zip checkpoint nor safetensors (starts with %q)", head[:min(len(head), 8)])
}
