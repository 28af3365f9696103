//go:build js

package gpu

// OpenDevices returns how many native devices are open: always 0 in the
// browser, whose devices are not counted.
func OpenDevices() int { return 0 }

// LiveObjects has no source in the browser (WebGPU has no registry report):
// it returns false.
func (d *Device) LiveObjects() (map[string]int, bool) { return nil, false }
