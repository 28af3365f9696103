"""Median time of one LowFormer forward pass in PyTorch on the CPU, for the side-by-side with the Go CPU plan.

usage: python3 tools/bench_cpu_torch.py [variant] [batch] [size] [threads] [runs]
(defaults b0 1 224 2 20). Weights are the random initialization (speed does not depend on values).
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
    model = LowFormer(PRESETS[variant]).eval()
    x = torch.randn(int(batch), 3, int(size), int(size))
    print(f"torch-eager {variant} median-ms {median_ms(model, x, int(runs)):.2f}")
    with torch.no_grad():
        frozen = torch.jit.optimize_for_inference(torch.jit.trace(model, x))
    print(f"torch-frozen {variant} median-ms {median_ms(frozen, x, int(runs)):.2f}")


if __name__ == "__main__":
    main()
