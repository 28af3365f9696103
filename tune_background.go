//go:build !js && cgo && !lowformer_nogpu

package lowformer

// backgroundTuning starts TuneBackground's tuning of m.
func backgroundTuning(m *deviceModel, side int, opt Options) error {
	m.startBackgroundTuning(side, opt)
	return nil
}
