// Package zipread reads the entries of a zip archive: the central
// directory (zip64 included), each entry's name, method, sizes and CRC-32,
// and a reader of its stored or deflated contents that checks the size and
// the CRC-32 at the end. It is the part of archive/zip that checkpoints
// need (a PyTorch checkpoint is a zip), without the rest: archive/zip
// registers a deflate compressor at init, which keeps compress/flate's
// encoder (about 0.1 MB of gzip) in every binary that imports it, the
// browser's wasm included.
//
// The directory is read as archive/zip reads it (the reading follows Go's
// archive/zip/reader.go, BSD-licensed, see LICENSE-go beside the wasm):
// the end record in the last 64 KiB, the zip64 end record where the end
// record's fields are saturated, a base offset for data prepended to the
// archive, and directory headers until the first bad one. Names are not
// checked for insecure paths (nothing here writes files).
package zipread

import (
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash"
	"hash/crc32"
	"io"
)

// The compression methods an entry may use (archive/zip's Store and Deflate).
const (
	Store   uint16 = 0
	Deflate uint16 = 8
)

// Errors, as archive/zip words them.
var (
	// ErrFormat: not a zip archive, or a broken one.
	ErrFormat = errors.New("zip: not a valid zip file")
	// ErrAlgorithm: an entry compressed by neither Store nor Deflate.
	ErrAlgorithm = errors.New("zip: unsupported compression algorithm")
	// ErrChecksum: an entry's contents do not match its CRC-32.
	ErrChecksum = errors.New("zip: checksum error")
)

const (
	fileHeaderSignature      = 0x04034b50
	directoryHeaderSignature = 0x02014b50
	directoryEndSignature    = 0x06054b50
	directory64LocSignature  = 0x07064b50
	directory64EndSignature  = 0x06064b50
	dataDescriptorSignature  = 0x08074b50
	fileHeaderLen            = 30
	directoryHeaderLen       = 46
	directoryEndLen          = 22
	dataDescriptorLen        = 16
	directory64LocLen        = 20
	directory64EndLen        = 56
	zip64ExtraID             = 0x0001
	flagDataDescriptor       = 0x8
)

// Reader is an open archive.
type Reader struct {
	// File lists the entries in the order of the central directory.
	File []*File
}

// File is one entry of the archive.
type File struct {
	Name               string
	Flags              uint16
	Method             uint16
	CRC32              uint32
	CompressedSize64   uint64
	UncompressedSize64 uint64

	r            io.ReaderAt
	headerOffset int64 // of the local header, base offset included
}

// NewReader reads the central directory of the archive r of size bytes.
func NewReader(r io.ReaderAt, size int64) (*Reader, error) {
	records, dirOffset, baseOffset, err := readDirectoryEnd(r, size)
	if err != nil {
		return nil, err
	}
	z := &Reader{}
	// The count of entries is only 16 bits in the plain end record: read
	// headers until the first bad one, and fail only where the count
	// modulo 65536 disagrees (as archive/zip does).
	dir := &byteReader{r: r, off: baseOffset + dirOffset, end: size}
	for {
		f := &File{r: r}
		err = readDirectoryHeader(f, dir)
		if err == ErrFormat || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
		f.headerOffset += baseOffset
		z.File = append(z.File, f)
	}
	if uint16(len(z.File)) != uint16(records) {
		return nil, err
	}
	return z, nil
}

// byteReader reads r sequentially from off up to end.
type byteReader struct {
	r        io.ReaderAt
	off, end int64
}

// ReadFull fills b or fails with io.ErrUnexpectedEOF (io.EOF where nothing is left).
func (b *byteReader) ReadFull(p []byte) error {
	if int64(len(p)) > b.end-b.off {
		if b.off >= b.end {
			return io.EOF
		}
		return io.ErrUnexpectedEOF
	}
	n, err := b.r.ReadAt(p, b.off)
	b.off += int64(n)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func readDirectoryHeader(f *File, r *byteReader) error {
	var buf [directoryHeaderLen]byte
	if err := r.ReadFull(buf[:]); err != nil {
		return err
	}
	b := readBuf(buf[:])
	if b.uint32() != directoryHeaderSignature {
		return ErrFormat
	}
	b = b[4:] // creator and reader versions
	f.Flags = b.uint16()
	f.Method = b.uint16()
	b = b[4:] // modification time and date
	f.CRC32 = b.uint32()
	compressed, uncompressed := b.uint32(), b.uint32()
	f.CompressedSize64, f.UncompressedSize64 = uint64(compressed), uint64(uncompressed)
	nameLen, extraLen, commentLen := int(b.uint16()), int(b.uint16()), int(b.uint16())
	b = b[8:] // start disk, internal and external attributes
	f.headerOffset = int64(b.uint32())
	d := make([]byte, nameLen+extraLen+commentLen)
	if err := r.ReadFull(d); err != nil {
		return err
	}
	f.Name = string(d[:nameLen])
	for extra := readBuf(d[nameLen : nameLen+extraLen]); len(extra) >= 4; {
		tag, n := extra.uint16(), int(extra.uint16())
		if len(extra) < n {
			break
		}
		field := extra.sub(n)
		if tag != zip64ExtraID {
			continue
		}
		// Consulted only for the fields that are saturated (go.dev/issue/13367).
		for _, v := range []struct {
			saturated bool
			set       func(uint64)
		}{
			{uncompressed == ^uint32(0), func(x uint64) { f.UncompressedSize64 = x }},
			{compressed == ^uint32(0), func(x uint64) { f.CompressedSize64 = x }},
			{f.headerOffset == int64(^uint32(0)), func(x uint64) { f.headerOffset = int64(x) }},
		} {
			if !v.saturated {
				continue
			}
			if len(field) < 8 {
				return ErrFormat
			}
			v.set(field.uint64())
		}
	}
	return nil
}

// readDirectoryEnd finds the end record (zip64's where needed) and returns
// the number of records, the directory's offset and the base offset.
func readDirectoryEnd(r io.ReaderAt, size int64) (records uint64, dirOffset, baseOffset int64, err error) {
	var buf []byte
	var endOffset int64
	for i, n := range []int64{1024, 65 * 1024} {
		n = min(n, size)
		buf = make([]byte, int(n))
		if _, err := r.ReadAt(buf, size-n); err != nil && err != io.EOF {
			return 0, 0, 0, err
		}
		if p := findSignatureInBlock(buf); p >= 0 {
			buf = buf[p:]
			endOffset = size - n + int64(p)
			break
		}
		if i == 1 || n == size {
			return 0, 0, 0, ErrFormat
		}
	}
	b := readBuf(buf[8:]) // signature, disk numbers
	b = b[2:]             // records on this disk
	records = uint64(b.uint16())
	dirSize, offset := uint64(b.uint32()), uint64(b.uint32())
	if records == 0xffff || dirSize == 0xffffffff || offset == 0xffffffff {
		p, err := findDirectory64End(r, endOffset)
		if err == nil && p >= 0 {
			endOffset = p
			records, dirSize, offset, err = readDirectory64End(r, p)
		}
		if err != nil {
			return 0, 0, 0, err
		}
	}
	if dirSize > 1<<63-1 || offset > 1<<63-1 {
		return 0, 0, 0, ErrFormat
	}
	baseOffset = endOffset - int64(dirSize) - int64(offset)
	if o := baseOffset + int64(offset); o < 0 || o >= size {
		return 0, 0, 0, ErrFormat
	}
	// A base offset the end record implies, where the directory is also
	// found without one, is taken to be wrong (as archive/zip does).
	if baseOffset > 0 {
		if readDirectoryHeader(&File{}, &byteReader{r: r, off: int64(offset), end: size}) == nil {
			baseOffset = 0
		}
	}
	return records, int64(offset), baseOffset, nil
}

func findDirectory64End(r io.ReaderAt, endOffset int64) (int64, error) {
	loc := endOffset - directory64LocLen
	if loc < 0 {
		return -1, nil
	}
	buf := make([]byte, directory64LocLen)
	if _, err := r.ReadAt(buf, loc); err != nil {
		return -1, err
	}
	b := readBuf(buf)
	if b.uint32() != directory64LocSignature || b.uint32() != 0 {
		return -1, nil
	}
	p := b.uint64()
	if b.uint32() != 1 { // total number of disks
		return -1, nil
	}
	return int64(p), nil
}

func readDirectory64End(r io.ReaderAt, offset int64) (records, dirSize, dirOffset uint64, err error) {
	buf := make([]byte, directory64EndLen)
	if _, err := r.ReadAt(buf, offset); err != nil {
		return 0, 0, 0, err
	}
	b := readBuf(buf)
	if b.uint32() != directory64EndSignature {
		return 0, 0, 0, ErrFormat
	}
	b = b[12+8+8:] // record size, versions, disk numbers, records on this disk
	return b.uint64(), b.uint64(), b.uint64(), nil
}

func findSignatureInBlock(b []byte) int {
	for i := len(b) - directoryEndLen; i >= 0; i-- {
		if b[i] == 'P' && b[i+1] == 'K' && b[i+2] == 0x05 && b[i+3] == 0x06 {
			n := int(b[i+directoryEndLen-2]) | int(b[i+directoryEndLen-1])<<8
			if n+directoryEndLen+i > len(b) {
				return -1 // a truncated comment
			}
			return i
		}
	}
	return -1
}

// DataOffset returns the offset of the entry's (possibly compressed)
// contents in the archive.
func (f *File) DataOffset() (int64, error) {
	var buf [fileHeaderLen]byte
	if _, err := f.r.ReadAt(buf[:], f.headerOffset); err != nil {
		return 0, err
	}
	b := readBuf(buf[:])
	if b.uint32() != fileHeaderSignature {
		return 0, ErrFormat
	}
	b = b[22:]
	nameLen, extraLen := int64(b.uint16()), int64(b.uint16())
	return f.headerOffset + fileHeaderLen + nameLen + extraLen, nil
}

// Open returns a reader of the entry's contents: it fails with ErrFormat
// past the declared size, io.ErrUnexpectedEOF short of it and ErrChecksum
// on a CRC-32 mismatch, each at the end.
func (f *File) Open() (io.ReadCloser, error) {
	off, err := f.DataOffset()
	if err != nil {
		return nil, err
	}
	size := int64(f.CompressedSize64)
	var rc io.ReadCloser
	switch f.Method {
	case Store:
		rc = io.NopCloser(io.NewSectionReader(f.r, off, size))
	case Deflate:
		rc = flate.NewReader(io.NewSectionReader(f.r, off, size))
	default:
		return nil, ErrAlgorithm
	}
	c := &checksumReader{rc: rc, hash: crc32.NewIEEE(), f: f}
	if f.Flags&flagDataDescriptor != 0 {
		c.desr = &byteReader{r: f.r, off: off + size, end: off + size + dataDescriptorLen}
	}
	return c, nil
}

type checksumReader struct {
	rc    io.ReadCloser
	hash  hash.Hash32
	nread uint64
	f     *File
	desr  *byteReader // the data descriptor, if any
	err   error
}

func (r *checksumReader) Read(b []byte) (n int, err error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err = r.rc.Read(b)
	r.hash.Write(b[:n])
	r.nread += uint64(n)
	if r.nread > r.f.UncompressedSize64 {
		return 0, ErrFormat
	}
	if err == io.EOF {
		switch {
		case r.nread != r.f.UncompressedSize64:
			err = io.ErrUnexpectedEOF
		case r.desr != nil:
			if err1 := readDataDescriptor(r.desr, r.f); err1 != nil {
				err = err1
				if err1 == io.EOF {
					err = io.ErrUnexpectedEOF
				}
			} else if r.hash.Sum32() != r.f.CRC32 {
				err = ErrChecksum
			}
		case r.f.CRC32 != 0 && r.hash.Sum32() != r.f.CRC32:
			err = ErrChecksum
		}
	}
	r.err = err
	return n, err
}

func (r *checksumReader) Close() error { return r.rc.Close() }

// readDataDescriptor checks the descriptor's CRC-32 (its signature is
// optional) against the directory's.
func readDataDescriptor(r *byteReader, f *File) error {
	var buf [dataDescriptorLen]byte
	if err := r.ReadFull(buf[:4]); err != nil {
		return err
	}
	off := 0
	if binary.LittleEndian.Uint32(buf[:4]) != dataDescriptorSignature {
		off = 4
	}
	if err := r.ReadFull(buf[off:12]); err != nil {
		return err
	}
	// With a signature, the CRC-32 overwrote it; without, it was read first.
	if binary.LittleEndian.Uint32(buf[:4]) != f.CRC32 {
		return ErrChecksum
	}
	return nil
}

type readBuf []byte

func (b *readBuf) uint16() uint16 {
	v := binary.LittleEndian.Uint16(*b)
	*b = (*b)[2:]
	return v
}

func (b *readBuf) uint32() uint32 {
	v := binary.LittleEndian.Uint32(*b)
	*b = (*b)[4:]
	return v
}

func (b *readBuf) uint64() uint64 {
	v := binary.LittleEndian.Uint64(*b)
	*b = (*b)[8:]
	return v
}

func (b *readBuf) sub(n int) readBuf {
	b2 := (*b)[:n]
	*b = (*b)[n:]
	return b2
}
