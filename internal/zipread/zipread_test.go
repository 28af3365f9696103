package zipread

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
)

// entry is one file of a test archive.
type entry struct {
	name     string
	data     []byte
	deflate  bool
	streamed bool // written with a data descriptor (sizes after the contents)
}

// build writes the entries with archive/zip, prefixed by prefix.
func build(t testing.TB, prefix []byte, comment string, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.Write(prefix)
	zw := zip.NewWriter(&buf)
	zw.SetOffset(int64(len(prefix)))
	if comment != "" {
		if err := zw.SetComment(comment); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store}
		if e.deflate {
			h.Method = zip.Deflate
		}
		var w io.Writer
		var err error
		if e.streamed {
			w, err = zw.CreateHeader(h) // archive/zip streams when sizes are unset
		} else {
			h.CRC32 = crc32.ChecksumIEEE(e.data)
			h.UncompressedSize64 = uint64(len(e.data))
			if h.Method == zip.Store {
				h.CompressedSize64 = h.UncompressedSize64
				w, err = zw.CreateRaw(h)
			} else {
				w, err = zw.CreateHeader(h)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// result is what a reader makes of an archive: entries and their contents,
// or the error.
type result struct {
	err     error
	names   []string
	methods []uint16
	sizes   [][2]uint64
	crcs    []uint32
	offsets []int64
	data    [][]byte
	readErr []error
}

func readStd(b []byte) result {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return result{err: err}
	}
	var r result
	for _, f := range zr.File {
		r.names = append(r.names, f.Name)
		r.methods = append(r.methods, f.Method)
		r.sizes = append(r.sizes, [2]uint64{f.CompressedSize64, f.UncompressedSize64})
		r.crcs = append(r.crcs, f.CRC32)
		off, _ := f.DataOffset()
		r.offsets = append(r.offsets, off)
		d, err := readAll(f.Open)
		r.data = append(r.data, d)
		r.readErr = append(r.readErr, err)
	}
	return r
}

func readOwn(b []byte) result {
	zr, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return result{err: err}
	}
	var r result
	for _, f := range zr.File {
		r.names = append(r.names, f.Name)
		r.methods = append(r.methods, f.Method)
		r.sizes = append(r.sizes, [2]uint64{f.CompressedSize64, f.UncompressedSize64})
		r.crcs = append(r.crcs, f.CRC32)
		off, _ := f.DataOffset()
		r.offsets = append(r.offsets, off)
		d, err := readAll(f.Open)
		r.data = append(r.data, d)
		r.readErr = append(r.readErr, err)
	}
	return r
}

func readAll(open func() (io.ReadCloser, error)) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// sameErr: both nil, or both failing with the same error text (the
// package's errors are worded as archive/zip's, flate's are flate's).
func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

func compare(t *testing.T, what string, b []byte) {
	t.Helper()
	std, own := readStd(b), readOwn(b)
	if !sameErr(std.err, own.err) {
		t.Fatalf("%s: archive/zip says %v, zipread says %v", what, std.err, own.err)
	}
	if std.err != nil {
		return
	}
	if len(std.names) != len(own.names) {
		t.Fatalf("%s: %d entries, archive/zip %d", what, len(own.names), len(std.names))
	}
	for i := range std.names {
		switch {
		case std.names[i] != own.names[i], std.methods[i] != own.methods[i], std.sizes[i] != own.sizes[i],
			std.crcs[i] != own.crcs[i], std.offsets[i] != own.offsets[i]:
			t.Fatalf("%s: entry %d: zipread %q method %d sizes %v crc %x offset %d, archive/zip %q %d %v %x %d", what, i,
				own.names[i], own.methods[i], own.sizes[i], own.crcs[i], own.offsets[i],
				std.names[i], std.methods[i], std.sizes[i], std.crcs[i], std.offsets[i])
		case std.readErr[i] == nil && !bytes.Equal(std.data[i], own.data[i]): // (how much comes before an error differs)
			t.Fatalf("%s: entry %q: contents differ (%d bytes, archive/zip %d)", what, own.names[i], len(own.data[i]), len(std.data[i]))
		case !sameErr(std.readErr[i], own.readErr[i]):
			t.Fatalf("%s: entry %q: reading fails with %v, archive/zip with %v", what, own.names[i], own.readErr[i], std.readErr[i])
		}
	}
}

func TestSameAsArchiveZip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(4)) // compressible
		}
		return b
	}
	big := random(200000)
	cases := []struct {
		name    string
		prefix  []byte
		comment string
		entries []entry
		same    bool // only the same as archive/zip (which finds no entries)
	}{
		{name: "empty"},
		{name: "stored", entries: []entry{{name: "archive/data.pkl", data: random(300)}, {name: "archive/data/0", data: big}}},
		{name: "deflated", entries: []entry{{name: "a", data: big, deflate: true}, {name: "b/", data: nil}, {name: "c", data: random(7), deflate: true}}},
		{name: "data descriptors", entries: []entry{{name: "s", data: random(1000), streamed: true}, {name: "d", data: big, deflate: true, streamed: true}}},
		{name: "comment", comment: "a comment", entries: []entry{{name: "x", data: random(10)}}},
		{name: "signature in the comment", comment: "PK\x05\x06 and more", entries: []entry{{name: "x", data: random(10)}}, same: true},
		{name: "prepended", prefix: bytes.Repeat([]byte("#!sfx\n"), 50), entries: []entry{{name: "x", data: random(100), deflate: true}, {name: "y", data: random(100)}}},
		{name: "empty entry", entries: []entry{{name: "e", data: nil}, {name: "f", data: nil, deflate: true}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := build(t, c.prefix, c.comment, c.entries...)
			compare(t, c.name, b)
			if c.same {
				return
			}
			own := readOwn(b)
			if len(own.names) != len(c.entries) {
				t.Fatalf("%d entries, want %d", len(own.names), len(c.entries))
			}
			for i, e := range c.entries {
				if !bytes.Equal(own.data[i], e.data) || own.readErr[i] != nil {
					t.Fatalf("entry %q: %d bytes (%v), want %d", e.name, len(own.data[i]), own.readErr[i], len(e.data))
				}
			}
		})
	}
}

// TestZip64 reads an archive whose end record points to a zip64 end record
// and whose entry's sizes and offset are in a zip64 extra field (archive/zip
// writes them only past 4 GiB, so the archive is patched by hand).
func TestZip64(t *testing.T) {
	data := []byte("zip64 contents")
	name := "big"
	var b bytes.Buffer
	le := binary.LittleEndian
	// Local header with saturated sizes and a zip64 extra field.
	extra := make([]byte, 4+16)
	le.PutUint16(extra, zip64ExtraID)
	le.PutUint16(extra[2:], 16)
	le.PutUint64(extra[4:], uint64(len(data)))
	le.PutUint64(extra[12:], uint64(len(data)))
	hdr := make([]byte, fileHeaderLen)
	le.PutUint32(hdr, fileHeaderSignature)
	le.PutUint16(hdr[4:], 45)
	le.PutUint32(hdr[14:], crc32.ChecksumIEEE(data))
	le.PutUint32(hdr[18:], ^uint32(0))
	le.PutUint32(hdr[22:], ^uint32(0))
	le.PutUint16(hdr[26:], uint16(len(name)))
	le.PutUint16(hdr[28:], uint16(len(extra)))
	b.Write(hdr)
	b.WriteString(name)
	b.Write(extra)
	b.Write(data)
	dirOff := b.Len()
	cextra := make([]byte, 4+24)
	le.PutUint16(cextra, zip64ExtraID)
	le.PutUint16(cextra[2:], 24)
	le.PutUint64(cextra[4:], uint64(len(data)))
	le.PutUint64(cextra[12:], uint64(len(data)))
	le.PutUint64(cextra[20:], 0)
	dh := make([]byte, directoryHeaderLen)
	le.PutUint32(dh, directoryHeaderSignature)
	le.PutUint16(dh[4:], 45)
	le.PutUint16(dh[6:], 45)
	le.PutUint32(dh[16:], crc32.ChecksumIEEE(data))
	le.PutUint32(dh[20:], ^uint32(0))
	le.PutUint32(dh[24:], ^uint32(0))
	le.PutUint16(dh[28:], uint16(len(name)))
	le.PutUint16(dh[30:], uint16(len(cextra)))
	le.PutUint32(dh[42:], ^uint32(0))
	b.Write(dh)
	b.WriteString(name)
	b.Write(cextra)
	dirSize := b.Len() - dirOff
	end64 := b.Len()
	e64 := make([]byte, directory64EndLen)
	le.PutUint32(e64, directory64EndSignature)
	le.PutUint64(e64[4:], directory64EndLen-12)
	le.PutUint64(e64[24:], 1)
	le.PutUint64(e64[32:], 1)
	le.PutUint64(e64[40:], uint64(dirSize))
	le.PutUint64(e64[48:], uint64(dirOff))
	b.Write(e64)
	loc := make([]byte, directory64LocLen)
	le.PutUint32(loc, directory64LocSignature)
	le.PutUint64(loc[8:], uint64(end64))
	le.PutUint32(loc[16:], 1)
	b.Write(loc)
	end := make([]byte, directoryEndLen)
	le.PutUint32(end, directoryEndSignature)
	le.PutUint16(end[8:], 0xffff)
	le.PutUint16(end[10:], 0xffff)
	le.PutUint32(end[12:], ^uint32(0))
	le.PutUint32(end[16:], ^uint32(0))
	b.Write(end)
	compare(t, "zip64", b.Bytes())
	own := readOwn(b.Bytes())
	if own.err != nil || len(own.data) != 1 || !bytes.Equal(own.data[0], data) || own.readErr[0] != nil {
		t.Fatalf("zip64: %+v", own)
	}
}

// TestBrokenSameAsArchiveZip damages archives byte by byte, truncates them
// and changes their contents: zipread accepts and refuses what archive/zip
// does, with the same errors, and reads the same contents.
func TestBrokenSameAsArchiveZip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	payload := make([]byte, 3000)
	for i := range payload {
		payload[i] = byte(rng.IntN(3))
	}
	for _, streamed := range []bool{false, true} {
		b := build(t, nil, "", entry{name: "archive/data.pkl", data: payload[:100], streamed: streamed},
			entry{name: "archive/data/0", data: payload, deflate: true, streamed: streamed},
			entry{name: "archive/data/1", data: payload[:500], streamed: streamed})
		for i := range b {
			c := bytes.Clone(b)
			c[i] ^= 0x41
			compare(t, "damaged", c)
		}
		for n := 0; n < len(b); n += 7 {
			compare(t, "truncated", b[:n])
		}
	}
	compare(t, "not a zip", []byte("hello, this is not a zip archive at all"))
	compare(t, "nothing", nil)
}

func TestUnsupportedMethod(t *testing.T) {
	b := build(t, nil, "", entry{name: "x", data: []byte("abc")})
	// Method 12 (bzip2) in the directory header.
	i := bytes.Index(b, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint16(b[i+10:], 12)
	zr, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zr.File[0].Open(); !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("Open of a bzip2 entry: %v, want ErrAlgorithm", err)
	}
}
