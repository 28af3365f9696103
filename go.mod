module github.com/lowformer/lowformer-webgpu

go 1.27.3

require (
	github.com/cogentcore/webgpu v0.23.0
	github.com/hack-pad/safejs v0.1.1
	golang.org/x/image v0.48.0
)
