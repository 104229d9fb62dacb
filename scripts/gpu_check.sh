#!/usr/bin/env bash
# The GPU check, from a fresh checkout:   bash scripts/gpu_check.sh
#
# Without CUDA it prints one line, "no GPU: skipped: <why>", and exits 0 (a GPU that nvidia-smi
# lists but no torch to use it is a failure). With CUDA it sets up .venv
# (the README's command with the dev extra; an existing .venv is reused) and runs, each part under
# a timeout, stopping with a non-zero status at the first failure:
#   1. parity_tests/test_devices.py: the twins against autograd on CUDA in float64 and float32
#      (TF32 off), a Trainer fit on the GPU against the CPU loop, a bf16-mixed fit;
#   2. a 1-epoch fit of each model's config on one GPU (configs/trainer/gpu.yaml);
#   3. a bf16-mixed fit of the MLP;
#   4. DDP (NCCL) over all visible GPUs when there are two or more: the MLP and skip-gram (dense
#      tables), the ranks agreeing on their weights;
#   5. training throughput on the GPU next to the CPU (python -m scripts.device_throughput).
# About 2 minutes on one H-class GPU once .venv exists (installing it first takes longer).
# PARITYNETS_PYTHON: the Python to use instead of .venv's (no set-up then).
# GPU_CHECK_ON_CPU=1: a dry run of every part on the CPU (2 gloo ranks), to check the commands.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PARITYNETS_PYTHON:-.venv/bin/python}
dry=${GPU_CHECK_ON_CPU:-0}

gpus() {  # the number of CUDA devices torch sees (0 without CUDA); fails without torch
    "$python" -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)' 2>/dev/null
}

if [ "$dry" = 1 ]; then
    n=2 accelerator=cpu device=cpu backend=gloo
else
    if [ -z "${PARITYNETS_PYTHON:-}" ] && timeout 30 nvidia-smi -L >/dev/null 2>&1 &&
        ! "$python" -c 'import torch, lightning, pytest' 2>/dev/null; then  # a GPU, no .venv yet
        [ -x .venv/bin/python ] || timeout 300 python3.11 -m venv .venv
        timeout 1200 .venv/bin/python -m pip install -q -c constraints.txt -e '.[dev]'
    fi
    if ! n=$(gpus); then
        if timeout 30 nvidia-smi -L >/dev/null 2>&1; then
            echo "gpu check: nvidia-smi lists a GPU but $python has no torch (unset PARITYNETS_PYTHON to set up .venv)"
            exit 1
        fi
        echo "no GPU: skipped: no torch at $python and nvidia-smi finds no GPU to set it up for"
        exit 0
    fi
    if [ "$n" = 0 ]; then
        listed=$(timeout 30 nvidia-smi -L 2>/dev/null | grep -c "^GPU" || true) hint=
        if [ "${listed:-0}" -gt 0 ]; then  # GPUs hidden (CUDA_VISIBLE_DEVICES) or a CPU-only torch
            hint=" (nvidia-smi lists $listed GPUs: CUDA_VISIBLE_DEVICES, or a CPU-only torch?)"
        fi
        echo "no GPU: skipped: torch.cuda.is_available() is False$hint"
        exit 0
    fi
    accelerator=gpu device=cuda backend=nccl
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
echo "gpu check: $n device(s), accelerator $accelerator, $("$python" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)')"

part() {  # part SECONDS NAME COMMAND...: COMMAND under a timeout, its status and time reported
    local limit=$1 name=$2 started=$SECONDS
    shift 2
    echo "== $name"
    timeout "$limit" "$@" || {
        local status=$?
        echo "== $name: FAILED (status $status$([ $status = 124 ] && echo ", over $limit s"))"
        return "$status"
    }
    echo "== $name: ok ($((SECONDS - started)) s)"
}

fit() {  # fit NAME CONFIG [ARGS...]: one epoch of CONFIG on one device, in its own run directory
    local name=$1 config=$2
    shift 2
    part 120 "$name" "$python" -m scripts.train fit --config "$config" --config configs/trainer/gpu.yaml \
        --trainer.accelerator "$accelerator" --trainer.max_epochs 1 \
        --trainer.default_root_dir "$runs/$name" --progress lines "$@"
}

ddp() {  # ddp MODEL: one epoch on all n devices; the backend is nccl on GPUs and the ranks agree
    local model=$1 log="$runs/ddp-$1.log"
    part 180 "DDP over $n devices: $model" "$python" -m scripts.train fit --config "configs/$model.yaml" \
        --config configs/trainer/ddp.yaml --trainer.devices "$n" --trainer.accelerator "$accelerator" \
        --trainer.max_epochs 1 --trainer.default_root_dir "$runs/ddp-$model" --progress lines >"$log" 2>&1 ||
        { cat "$log"; return 1; }
    grep -E "^== |distributed_backend=|parity gate|^epoch |ranks end with the same weights" "$log"
    grep -q "distributed_backend=$backend" "$log" && grep -q "ranks end with the same weights" "$log"
}

part 180 "parity and Trainer fits on every device (test_devices.py)" \
    "$python" -m pytest -q -p no:cacheprovider parity_tests/test_devices.py
for model in linear mlp autoencoder skipgram; do  # the configs that need no download
    fit "$model" "configs/$model.yaml"
done
fit mlp-bf16-mixed configs/mlp.yaml --trainer.precision bf16-mixed
if [ "$n" -ge 2 ]; then
    ddp mlp
    ddp skipgram  # dense embedding tables: NCCL has no sparse all-reduce
else
    echo "== DDP: skipped (1 device)"
fi
part 240 "training throughput, $device next to cpu (all its threads)" env -u OMP_NUM_THREADS \
    -u OPENBLAS_NUM_THREADS -u MKL_NUM_THREADS "$python" -m scripts.device_throughput --device "$device" --device cpu
echo "gpu check: all parts passed in $SECONDS s"
