"""Median time of one LowFormer forward pass in PyTorch on the CPU, for the side-by-side with the Go CPU plan.

usage: python3 tools/bench_cpu_torch.py [variant] [batch] [size] [threads] [runs] [checkpoint]
(defaults b0 1 224 2 20). Weights are those of the checkpoint (an official-format evalmodel.pt)
when given, else the random initialization with seed 0. Subnormals are flushed to zero (random
weights can drive activations into them, which makes timings vary by several times).
Times the eager model (eval mode, torch.inference_mode) and the same model traced and frozen with
torch.jit.optimize_for_inference (BatchNorm folded, oneDNN where available), each after 3 warm-up
runs. Prints "torch-eager <variant> median-ms <ms>" and "torch-frozen <variant> median-ms <ms>".
"""
import statistics, sys, time

import torch

from lowformer_torch import PRESETS, LowFormer


def median_ms(model, x, runs):
    times = []
    with torch.inference_mode():
        for i in range(3 + runs):
            start = time.perf_counter()
            model(x)
            if i >= 3:
                times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main():
    variant, batch, size, threads, runs = (sys.argv[1:] + ["b0", "1", "224", "2", "20"][len(sys.argv) - 1:])[:5]
    torch.set_num_threads(int(threads))
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    model = LowFormer(PRESETS[variant]).eval()
    if len(sys.argv) > 6:
        sd = torch.load(sys.argv[6], map_location="cpu")
        model.load_state_dict(sd.get("state_dict", sd))
    x = torch.randn(int(batch), 3, int(size), int(size))
    print(f"torch-eager {variant} median-ms {median_ms(model, x, int(runs)):.2f}")
    with torch.no_grad():
        frozen = torch.jit.optimize_for_inference(torch.jit.trace(model, x))
    print(f"torch-frozen {variant} median-ms {median_ms(frozen, x, int(runs)):.2f}")


if __name__ == "__main__":
    main()
