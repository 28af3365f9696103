// Package checkpoint reads LowFormer weights from PyTorch zip checkpoints
// (torch >= 1.6 "evalmodel.pt" files) and safetensors files, and writes
// safetensors, using only the standard library.
//
// Reading is safe on untrusted input: the pickle inside a PyTorch checkpoint
// is interpreted by a small virtual machine that knows only the opcodes and
// the handful of GLOBALs (OrderedDict, tensor rebuilding, storage types) that
// PyTorch state dicts need, so loading can never execute code. Every size,
// offset and count read from the file is checked before it is used, and the
// memory a read allocates is bounded by a small multiple of the file size.
//
// The key normalisation follows the official loader (spec §5): a trainer dict
// contributes its "state_dict" entry (otherwise the top-level dict is the
// state dict), a "module." prefix is stripped and legacy "head.opseq." keys
// are renamed to "head.".
package checkpoint
