"""The summary line of benchmarks/run.sh: the JSON lines of both sides' runs on stdin, the best
images per second of each side, their ratio and what each side ran on, as one JSON line."""
import json
import sys


def main():
    runs = [json.loads(line) for line in sys.stdin if line.strip()]
    ovo = [r for r in runs if r["framework"] == "ovo"]
    torch = [r for r in runs if r["framework"] == "torch"]
    best_ovo = max(r["img_per_s"] for r in ovo)
    best_torch = max(r["img_per_s"] for r in torch)
    out = {
        "workload": ovo[0]["workload"],
        "ovo_img_per_s": round(best_ovo, 2),
        "torch_img_per_s": round(best_torch, 2),
        "ratio": round(best_ovo / best_torch, 3),
        "runs_each": len(ovo),
        "statistic": "best of the runs on each side",
        "ovo_peak_fraction": round(max(r["peak_fraction"] for r in ovo), 3),
        "gemm_peak_gflop_per_s": round(max(r["gemm_peak_gflop_per_s"] for r in ovo), 1),
        "torch_version": torch[0]["torch_version"],
    }
    if "device" in ovo[0]:  # a GPU
        out["device"] = ovo[0]["device"]
        out["ovo_device_mib_held"] = round(max(r["device_mib_held"] for r in ovo), 1)
        out["torch_peak_mib"] = round(max(r["peak_mib"] for r in torch), 1)
    else:
        out["ovo_gemm"] = ovo[0]["gemm"]
        out["torch_openblas_core"] = torch[0]["openblas_core"]
        out["openblas_coretype"] = ovo[0]["env"]["OPENBLAS_CORETYPE"]
        out["torch_attention"] = torch[0]["attention"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
