package main

import (
	"errors"
	"fmt"
	"strings"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// userError rewrites an error of an exported call for JavaScript: a lost
// (or destroyed) GPU device says so and what to do about it, and every
// message starts with "lowformer:". Wrapped errors (such as coded ones)
// stay reachable with errors.As.
func userError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, lowformer.ErrDeviceLost):
		return fmt.Errorf("lowformer: the model's GPU device was lost or closed (%w); dispose the model and load it again", err)
	case !strings.HasPrefix(err.Error(), "lowformer:"):
		return fmt.Errorf("lowformer: %w", err)
	}
	return err
}

// coded is an error with a machine-readable code, set as error.code on the
// JavaScript Error.
type coded struct {
	code string
	err  error
}

func (c coded) Error() string { return c.err.Error() }
func (c coded) Unwrap() error { return c.err }
