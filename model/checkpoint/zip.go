package checkpoint

import (
	"errors"
	"io"
	"strings"

	"github.com/lowformer/lowformer-webgpu/internal/zipread"
)

// Bounds on compressed zip entries. PyTorch writes every entry uncompressed
// (stored); a re-packed archive may deflate them. The bytes inflated over a
// whole read may not exceed the file size plus inflateSlack, and no entry may
// claim a compression ratio above maxInflateRatio.
const (
	maxInflateRatio = 1000
	inflateSlack    = 1 << 20
)

// zipArchive gives bounded access to the entries of a PyTorch checkpoint.
type zipArchive struct {
	r        io.ReaderAt
	size     int64
	pickle   *zipread.File            // <root>/data.pkl
	storages map[string]*zipread.File // storage key -> <root>/data/<key>
	offsets  map[*zipread.File]int64  // data offsets of stored entries
	inflated map[*zipread.File][]byte // contents of deflated entries
	inflTot  int64                    // bytes inflated so far
}

// openZip reads the zip directory and locates <root>/data.pkl and the
// storages under <root>/data/, whatever the root folder is called.
func openZip(r io.ReaderAt, size int64) (*zipArchive, error) {
	zr, err := zipread.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zipread.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, errorf(ErrTruncated, "file is truncated or corrupt: the PyTorch zip archive is unreadable (%v)", err)
		}
		return nil, err
	}
	z := &zipArchive{r: r, size: size, storages: map[string]*zipread.File{},
		offsets: map[*zipread.File]int64{}, inflated: map[*zipread.File][]byte{}}
	var root string
	for _, f := range zr.File {
		dir, rest, ok := strings.Cut(f.Name, "/")
		if ok && dir != "" && rest == "data.pkl" {
			if z.pickle != nil {
				return nil, errorf(ErrCorrupt, "zip holds both %s and %s; cannot tell which is the checkpoint", z.pickle.Name, f.Name)
			}
			z.pickle, root = f, dir
		}
	}
	if z.pickle == nil {
		return nil, errorf(ErrNotCheckpoint, "not a checkpoint: the zip archive has no <root>/data.pkl entry (not a PyTorch checkpoint)")
	}
	prefix := root + "/data/"
	for _, f := range zr.File {
		if f.Name == root+"/byteorder" {
			if err := z.checkByteOrder(f); err != nil {
				return nil, err
			}
		}
		if key, ok := strings.CutPrefix(f.Name, prefix); ok && key != "" {
			if z.storages[key] != nil {
				return nil, errorf(ErrCorrupt, "zip holds %s twice", f.Name)
			}
			z.storages[key] = f
		}
	}
	return z, nil
}

// checkByteOrder refuses big-endian storages (the <root>/byteorder entry
// newer torch versions write says "little" or "big").
func (z *zipArchive) checkByteOrder(f *zipread.File) error {
	if f.UncompressedSize64 > 16 {
		return errorf(ErrCorrupt, "%s is %d bytes long", f.Name, f.UncompressedSize64)
	}
	if err := z.checkEntry(f); err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		return errorf(ErrCorrupt, "opening %s: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := readExactly(rc, f)
	if err != nil {
		return err
	}
	if order := strings.TrimSpace(string(b)); order != "little" {
		return errorf(ErrUnsupported, "%s says %q: only little-endian checkpoints are supported", f.Name, order)
	}
	return nil
}

// readPickle returns the whole data.pkl entry.
func (z *zipArchive) readPickle() ([]byte, error) {
	f := z.pickle
	if err := z.checkEntry(f); err != nil {
		return nil, err
	}
	if f.Method == zipread.Deflate {
		return z.inflate(f)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errorf(ErrCorrupt, "opening %s: %v", f.Name, err)
	}
	defer rc.Close()
	return readExactly(rc, f)
}

// checkEntry validates an entry's method and sizes against the file.
func (z *zipArchive) checkEntry(f *zipread.File) error {
	switch f.Method {
	case zipread.Store:
		if f.CompressedSize64 != f.UncompressedSize64 {
			return errorf(ErrCorrupt, "stored zip entry %s has compressed size %d but uncompressed size %d", f.Name, f.CompressedSize64, f.UncompressedSize64)
		}
		if f.UncompressedSize64 > uint64(z.size) {
			return errorf(ErrTruncated, "file is truncated: zip entry %s claims %d bytes but the file has %d", f.Name, f.UncompressedSize64, z.size)
		}
	case zipread.Deflate:
		if f.UncompressedSize64/maxInflateRatio > f.CompressedSize64 {
			return errorf(ErrUnsupported, "zip entry %s claims to inflate %d bytes to %d (ratio above %d: a zip bomb?)", f.Name, f.CompressedSize64, f.UncompressedSize64, maxInflateRatio)
		}
		if f.UncompressedSize64 > uint64(z.size)+inflateSlack-uint64(z.inflTot) {
			return errorf(ErrUnsupported, "zip entry %s would inflate to %d bytes, more than the file size allows", f.Name, f.UncompressedSize64)
		}
	default:
		return errorf(ErrUnsupported, "zip entry %s uses compression method %d (only stored and deflate are supported)", f.Name, f.Method)
	}
	return nil
}

// inflate decompresses a deflated entry once, within the inflation budget.
func (z *zipArchive) inflate(f *zipread.File) ([]byte, error) {
	if b, ok := z.inflated[f]; ok {
		return b, nil
	}
	if err := z.checkEntry(f); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errorf(ErrCorrupt, "opening %s: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := readExactly(rc, f)
	if err != nil {
		return nil, err
	}
	z.inflTot += int64(len(b))
	z.inflated[f] = b
	return b, nil
}

// readExactly reads the declared uncompressed size of f from rc and checks
// that the entry ends there (which also verifies its CRC-32).
func readExactly(rc io.Reader, f *zipread.File) ([]byte, error) {
	b := make([]byte, f.UncompressedSize64)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, errorf(ErrTruncated, "file is truncated or corrupt: reading zip entry %s: %v", f.Name, err)
	}
	var one [1]byte
	if n, err := rc.Read(one[:]); n != 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			return nil, errorf(ErrCorrupt, "zip entry %s is longer than its declared %d bytes", f.Name, len(b))
		}
		return nil, errorf(ErrCorrupt, "zip entry %s: %v", f.Name, err)
	}
	return b, nil
}

// checkStorage verifies that a storage's entry exists and holds all its
// elements; it is called for every storage the pickle references.
func (z *zipArchive) checkStorage(s *storageRef) error {
	f := z.storages[s.key]
	if f == nil {
		return errorf(ErrCorrupt, "storage %q has no data/%s entry in the zip", s.key, s.key)
	}
	if err := z.checkEntry(f); err != nil {
		return err
	}
	need := uint64(s.numel) * uint64(s.dtype.Size())
	if f.UncompressedSize64 < need {
		return errorf(ErrCorrupt, "storage %q declares %d %s elements (%d bytes) but %s holds only %d bytes",
			s.key, s.numel, s.dtype, need, f.Name, f.UncompressedSize64)
	}
	if f.Method == zipread.Store {
		if _, ok := z.offsets[f]; ok {
			return nil
		}
		off, err := f.DataOffset()
		if err != nil {
			return errorf(ErrTruncated, "file is truncated or corrupt: locating %s: %v", f.Name, err)
		}
		if off < 0 || off > z.size || int64(f.CompressedSize64) > z.size-off {
			return errorf(ErrTruncated, "file is truncated: %s needs bytes %d..%d but the file has %d", f.Name, off, off+int64(f.CompressedSize64), z.size)
		}
		z.offsets[f] = off
	}
	return nil
}

// readStorage fills dst with the bytes of storage key starting at byte off.
// The range has been checked by checkStorage and rebuildTensor.
func (z *zipArchive) readStorage(key string, off int64, dst []byte) error {
	f := z.storages[key]
	if f.Method == zipread.Deflate {
		b, err := z.inflate(f)
		if err != nil {
			return err
		}
		copy(dst, b[off:])
		return nil
	}
	if n, err := z.r.ReadAt(dst, z.offsets[f]+off); n < len(dst) {
		return errorf(ErrTruncated, "file is truncated or unreadable: reading %s: %v", f.Name, err)
	}
	return nil
}
