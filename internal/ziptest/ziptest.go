// Package ziptest builds zip archives for tests (crafted checkpoints).
package ziptest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strings"
	"testing"
)

// Entry is one file of a test archive.
type Entry struct {
	Name    string
	Data    []byte
	Deflate bool // compressed instead of stored
}

// Build writes a zip archive with the given entries, in order.
func Build(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Store
		if e.Deflate {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TrainerDict rewraps a torch.save'd bare state dict (pt, a zip checkpoint
// whose pickle is a protocol-2 OrderedDict) as the trainer's dict
// {"state_dict": <it>, "epoch": epoch, "best_val": bestVal, "optimizer":
// {"state": {}}}, as the official training code saves evalmodel.pt. The
// other entries are copied as they are (stored).
func TrainerDict(t testing.TB, pt []byte, epoch int32, bestVal float64) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pt), int64(len(pt)))
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f.Name, "/data.pkl") {
			data = wrapPickle(t, data, epoch, bestVal)
		}
		entries = append(entries, Entry{Name: f.Name, Data: data})
	}
	return Build(t, entries...)
}

// wrapPickle puts the value of a protocol-2 pickle into a trainer dict.
func wrapPickle(t testing.TB, p []byte, epoch int32, bestVal float64) []byte {
	t.Helper()
	if len(p) < 3 || p[0] != 0x80 || p[1] != 2 || p[len(p)-1] != '.' {
		t.Fatalf("ziptest.TrainerDict: the pickle is not protocol 2 ending in STOP")
	}
	str := func(b *bytes.Buffer, s string) {
		b.WriteByte('X') // BINUNICODE
		binary.Write(b, binary.LittleEndian, uint32(len(s)))
		b.WriteString(s)
	}
	var b bytes.Buffer
	b.Write([]byte{0x80, 2, '}', '('}) // PROTO 2, EMPTY_DICT, MARK
	str(&b, "state_dict")
	b.Write(p[2 : len(p)-1])
	str(&b, "epoch")
	b.WriteByte('J') // BININT
	binary.Write(&b, binary.LittleEndian, epoch)
	str(&b, "best_val")
	b.WriteByte('G') // BINFLOAT, big-endian
	binary.Write(&b, binary.BigEndian, math.Float64bits(bestVal))
	str(&b, "optimizer")
	b.WriteString("}") // EMPTY_DICT
	b.WriteString("(")
	str(&b, "state")
	b.WriteString("}u") // EMPTY_DICT, SETITEMS
	b.WriteString("u.") // SETITEMS, STOP
	return b.Bytes()
}
