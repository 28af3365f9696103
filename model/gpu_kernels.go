package model

import "github.com/lowformer/lowformer-webgpu/kernels"

// Kernels lists the kernels whose pipelines the model has built so far (one
// per pipeline), by label.
func (m *GPU) Kernels() []kernels.Kernel { return m.cache.Kernels() }

// Pipelines is the number of pipelines the model has built so far.
func (m *GPU) Pipelines() int { return m.cache.Len() }
