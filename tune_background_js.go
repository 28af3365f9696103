//go:build js && !lowformer_nogpu

package lowformer

import "errors"

// backgroundTuning refuses: in the browser, web/lowformer.js starts the
// tuning itself after the first result (LowFormer.load's tune:
// 'background' calls Model.Tune through the wasm bridge).
func backgroundTuning(*deviceModel, int, Options) error {
	return errors.New("in the browser, LowFormer.load({tune: 'background'}) tunes after the first result")
}
