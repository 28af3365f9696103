//go:build !js && !cgo

package main

import (
	"io"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// profile is bench's -profile report, which needs the GPU backend: a build
// without GPU support has none (benchFlags.check refuses -profile).
type profile struct{}

// runProfile fails: this build has no GPU support.
func runProfile(string, []float32, int, int, *profileFlags) (*profile, error) {
	return nil, lowformer.ErrNoGPUSupport
}

func (*profile) finish(*benchResult) {}

func printProfile(io.Writer, *profile, int) {}
