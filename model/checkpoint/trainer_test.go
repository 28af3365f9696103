package checkpoint

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"testing"
)

// binFloat emits BINFLOAT f.
func (p *pk) binFloat(f float64) *pk {
	p.op(opBinFloat)
	binary.Write(&p.Buffer, binary.BigEndian, math.Float64bits(f))
	return p
}

// trainerCheckpoint is a trainer dict {"state_dict": {"w": tensor [1]},
// "epoch": <epoch>, "best_val": <bestVal>}; a nil emitter leaves its key out.
func trainerCheckpoint(t testing.TB, epoch, bestVal func(*pk) *pk) []byte {
	p := newPickle().op(opEmptyDict, opMark).str("state_dict").op(opEmptyDict).str("w")
	p.tensor("torch.FloatStorage", "0", 1, 0, []int32{1}, []int32{1}).op(opSetItem)
	if epoch != nil {
		epoch(p.str("epoch"))
	}
	if bestVal != nil {
		bestVal(p.str("best_val"))
	}
	p.op(opSetItems, opStop)
	return checkpointZip(t, p.Bytes(), f32Bytes(1))
}

// TestTrainerRecord checks that Read takes the scalar epoch and best_val
// of a trainer dict, and ignores values of any other type.
func TestTrainerRecord(t *testing.T) {
	trainer := func(epoch, bestVal func(*pk) *pk) []byte { return trainerCheckpoint(t, epoch, bestVal) }
	for _, c := range []struct {
		name string
		data []byte
		want TrainerRecord
	}{
		{"epoch and best_val", trainer(func(p *pk) *pk { return p.int(-1) }, func(p *pk) *pk { return p.binFloat(79.25) }),
			TrainerRecord{HasEpoch: true, Epoch: -1, HasBestVal: true, BestVal: 79.25}},
		{"int best_val", trainer(func(p *pk) *pk { return p.int(7) }, func(p *pk) *pk { return p.int(80) }),
			TrainerRecord{HasEpoch: true, Epoch: 7, HasBestVal: true, BestVal: 80}},
		{"neither", trainer(nil, nil), TrainerRecord{}},
		{"a str epoch and a NaN best_val", trainer(func(p *pk) *pk { return p.str("ten") }, func(p *pk) *pk { return p.binFloat(math.NaN()) }), TrainerRecord{}},
		{"a float epoch and a dict best_val", trainer(func(p *pk) *pk { return p.binFloat(3) }, func(p *pk) *pk { return p.op(opEmptyDict) }), TrainerRecord{}},
		{"an infinite best_val", trainer(nil, func(p *pk) *pk { return p.binFloat(math.Inf(1)) }), TrainerRecord{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sd, err := ReadBytes(c.data)
			if err != nil {
				t.Fatal(err)
			}
			if sd.Trainer != c.want {
				t.Errorf("Trainer = %+v, want %+v", sd.Trainer, c.want)
			}
		})
	}
}

// TestTrainerRecordShared: the shared test checkpoints record epoch -1 and
// best_val 0, as evalmodel.pt of an untrained run.
func TestTrainerRecordShared(t *testing.T) {
	sd, err := ReadFile(filepath.Join(sharedDir(t), "testdata", "lowformer", "b0", "evalmodel.pt"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (TrainerRecord{HasEpoch: true, Epoch: -1, HasBestVal: true}); sd.Trainer != want {
		t.Errorf("Trainer = %+v, want %+v", sd.Trainer, want)
	}
}
