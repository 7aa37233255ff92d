#!/usr/bin/env bash
# bench/gpu.py on a borrowed GPU machine that has no network and none of our packages.
#
# What it needs travels in three ignored folders at the repo root, each under 62 MB so that
# one device call can carry it beside the working tree (64 MiB a call):
#   .gpu1  CTranslate2, faster-whisper, openai-whisper, more-itertools, PyAV (unpacked, as
#          .tar.xz) and the first piece of the base model (a .tar.xz cut in three)
#   .gpu2  the model's second piece
#   .gpu3  the model's third piece, and the fixtures decoded to float32 (bench/gpu.py --prepare)
# Each folder also holds a copy of this script and of bench/gpu.py, since the device gets the
# session's own checkout, which may not have them.
#
#   bash scripts/gpu-run.sh pack [REPO]   here: fill REPO/.gpu1-3 (REPO: this checkout)
#   bash .gpu1/gpu-run.sh 1               device, carry .gpu1: unpack, find the CUDA libraries, check
#   bash .gpu2/gpu-run.sh 2               device, carry .gpu2: check the piece
#   bash .gpu3/gpu-run.sh 3               device, carry .gpu3: join the model, run bench/gpu.py
#
# The device machine resets the checkout (carried folders included) at each call but keeps
# other folders while it stays warm: each step copies its folder to $KEEP (/var/tmp), so
# steps 1-3 must follow one another before the machine goes back. Logs and gpu.json go to
# $OUT.
#
# The CTranslate2 4.8.5 wheel loads libcublas.so.12 (CUDA 12); the device has CUDA 13 only.
# Step 1 links libcublas.so.12 and libcublasLt.so.12 to the CUDA 13 libraries in .gpulib and
# puts that first on LD_LIBRARY_PATH: the few cuBLAS calls CTranslate2 makes (cublasGemmEx,
# cublasSgemm_v2, their strided-batched forms, create/destroy/stream) keep their signatures.
set -uo pipefail

STEP="${1:?usage: gpu-run.sh pack|1|2|3}"
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PY="${PY:-python3}"
OUT="${OUT:-/tmp/gpu-out}"
# The device resets the checkout between calls: keep everything outside it.
KEEP="${GPU_KEEP:-/var/tmp/rebound-gpu}"
mkdir -p "$KEEP"
case "$STEP" in 1|2|3) cp -r "$HERE" "$KEEP/" ;; esac
SITE="$KEEP/.gpusite"
LIB="$KEEP/.gpulib"
MODEL="$KEEP/.gpumodel"
GPU_PY="$HERE/gpu.py"
[ -f "$GPU_PY" ] || GPU_PY="$REPO/bench/gpu.py"
BASE_BIN_SIZE=145217532
mkdir -p "$OUT"

untar() { # FILE DEST: unpack a .tar.xz with Python (no xz binary needed)
    mkdir -p "$2"
    "$PY" - "$1" "$2" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1], "r:xz") as tar:
    tar.extractall(sys.argv[2], filter="data")
EOF
}

check_sums() { # DIR: verify the sha256 of each file the manifest names
    (cd "$1" && sha256sum --quiet -c manifest.sha256) && echo "$1: checksums ok"
}

cuda_libs() { # link the CUDA 13 cuBLAS as the CUDA 12 name CTranslate2 asks for
    local found cublas cudnn
    found="$("$PY" - <<'EOF'
import glob, os, sys
roots = [p for p in sys.path if p.endswith("-packages")]
roots += ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
          "/usr/lib/x86_64-linux-gnu"]
def first(names):
    for root in roots:
        for name in names:
            hits = sorted(glob.glob(os.path.join(root, name)))
            if hits:
                return os.path.dirname(hits[0])
    return ""
print(first(["nvidia/cu13/lib/libcublas.so.13", "nvidia/cublas/lib/libcublas.so.13",
             "nvidia/*/lib/libcublas.so.13", "libcublas.so.13"]))
print(first(["nvidia/cu13/lib/libcudnn.so.9", "nvidia/cudnn/lib/libcudnn.so.9",
             "nvidia/*/lib/libcudnn.so.9", "libcudnn.so.9"]))
EOF
)"
    cublas="$(sed -n 1p <<<"$found")"
    cudnn="$(sed -n 2p <<<"$found")"
    if [ -z "$cublas" ]; then
        cublas="$(find / -xdev \( -path /proc -o -path /sys \) -prune -o \
            -name 'libcublas.so.13' -print -quit 2>/dev/null | xargs -r dirname)"
    fi
    echo "cuBLAS 13 in: ${cublas:-NOT FOUND}; cuDNN 9 in: ${cudnn:-not found}"
    mkdir -p "$LIB"
    if [ -n "$cublas" ]; then
        ln -sfn "$cublas/libcublas.so.13" "$LIB/libcublas.so.12"
        ln -sfn "$cublas/libcublasLt.so.13" "$LIB/libcublasLt.so.12"
    fi
    export LD_LIBRARY_PATH="$LIB${cublas:+:$cublas}${cudnn:+:$cudnn}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    # LOCAL_TEST=1: a rehearsal on a machine whose Python cannot load the cp312 binaries.
    [ -n "${LOCAL_TEST:-}" ] || export PYTHONPATH="$SITE:$REPO${PYTHONPATH:+:$PYTHONPATH}"
    export PYTHONUNBUFFERED=1
    # The wheel has machine code up to sm_86 and PTX: Hopper JIT-compiles each kernel on first
    # use (the warm-up); keep the results for the later processes.
    export CUDA_CACHE_MAXSIZE=4294967296
}

pack() { # here: build the three folders from pinned wheels, the venv and the model cache
    local repo="${1:-$REPO}" venv_py="${VENV_PY:-$REPO/.venv/bin/python}"
    local whl="${WHL:-/tmp/whl}" stage="${STAGE:-/tmp/gpustage}" sp
    local model_dir="${MODEL_DIR:-$repo/.cache/models/base}"
    set -e
    mkdir -p "$whl" "$stage"
    for spec in ctranslate2==4.8.5 av==19.0.2; do
        ls "$whl/${spec%%==*}-${spec##*==}-"*.whl >/dev/null 2>&1 ||
            python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
                --implementation cp --platform manylinux_2_28_x86_64 \
                --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
                --platform manylinux2014_x86_64 -d "$whl" "$spec"
    done
    sp="$("$venv_py" -c 'import faster_whisper, os; print(os.path.dirname(os.path.dirname(faster_whisper.__file__)))')"
    if [ ! -f "$stage/site.tar.xz" ]; then
        rm -rf "$stage/site" && mkdir -p "$stage/site"
        (cd "$stage/site" && unzip -q "$whl"/ctranslate2-4.8.5-*.whl)
        # The extension module carries 66 MB of debug information; the code is unchanged.
        strip --strip-debug "$stage"/site/ctranslate2/_ext*.so "$stage"/site/ctranslate2.libs/*.so*
        # Pure Python, pinned: faster-whisper 1.2.1, openai-whisper 20250625, more-itertools.
        cp -a "$sp"/faster_whisper "$sp"/faster_whisper-*.dist-info "$sp"/whisper \
            "$sp"/openai_whisper-*.dist-info "$sp"/more_itertools "$sp"/more_itertools-*.dist-info \
            "$stage/site/"
        find "$stage/site" -name __pycache__ -prune -exec rm -rf {} +
        tar -C "$stage/site" -cf - . | nice -n 19 xz -6 -T1 >"$stage/site.tar.xz.tmp"
        mv "$stage/site.tar.xz.tmp" "$stage/site.tar.xz"
    fi
    if [ ! -f "$stage/av.tar.xz" ]; then
        rm -rf "$stage/av" && mkdir -p "$stage/av"
        (cd "$stage/av" && unzip -q "$whl"/av-19.0.2-*.whl)
        tar -C "$stage/av" -cf - . | nice -n 19 xz -6 -T1 >"$stage/av.tar.xz.tmp"
        mv "$stage/av.tar.xz.tmp" "$stage/av.tar.xz"
    fi
    if [ ! -f "$stage/model.tar.xz" ]; then
        [ "$(stat -c %s "$model_dir/model.bin")" = "$BASE_BIN_SIZE" ]
        tar -C "$model_dir/.." -cf - "$(basename "$model_dir")" | nice -n 19 xz -6 -T1 \
            >"$stage/model.tar.xz.tmp"
        mv "$stage/model.tar.xz.tmp" "$stage/model.tar.xz"
        sha256sum "$model_dir/model.bin" | cut -d' ' -f1 >"$stage/model.bin.sha256"
    fi
    if [ ! -f "$stage/fixtures.npz" ]; then
        (cd "$REPO" && PYTHONPATH="$REPO" "$venv_py" bench/gpu.py --prepare "$stage/fixtures.npz")
    fi
    rm -rf "$repo"/.gpu1 "$repo"/.gpu2 "$repo"/.gpu3
    mkdir -p "$repo"/.gpu1 "$repo"/.gpu2 "$repo"/.gpu3
    cp "$stage/site.tar.xz" "$stage/av.tar.xz" "$repo/.gpu1/"
    cp "$stage/fixtures.npz" "$stage/model.bin.sha256" "$repo/.gpu3/"
    # Cut the model stream so that every folder stays under 62,000,000 bytes.
    "$PY" - "$stage/model.tar.xz" "$repo" <<'EOF'
import os, sys
src, repo = sys.argv[1], sys.argv[2]
limit, margin = 62_000_000, 400_000
room = {n: limit - margin - sum(os.path.getsize(os.path.join(repo, n, f))
                                for f in os.listdir(os.path.join(repo, n)))
        for n in (".gpu1", ".gpu2", ".gpu3")}
total = os.path.getsize(src)
first = min(room[".gpu1"], total)
rest = total - first
second = min(room[".gpu2"], (rest + room[".gpu2"] - room[".gpu3"]) // 2 + 1)
sizes = [first, second, total - first - second]
assert sizes[2] <= room[".gpu3"], (sizes, room)
with open(src, "rb") as f:
    for i, size in enumerate(sizes, 1):
        with open(os.path.join(repo, f".gpu{i}", f"model.tar.xz.part{i}"), "wb") as out:
            out.write(f.read(size))
print("model pieces:", sizes)
EOF
    for n in 1 2 3; do
        cp "$REPO/scripts/gpu-run.sh" "$REPO/bench/gpu.py" "$repo/.gpu$n/"
        (cd "$repo/.gpu$n" && shopt -s nullglob && sha256sum -- *.xz* *.npz >manifest.sha256)
        echo ".gpu$n: $(du -sb "$repo/.gpu$n" | cut -f1) bytes"
    done
}

case "$STEP" in
pack)
    shift
    pack "$@"
    ;;
1)
    {
        echo "== step 1: $(date -u +%T) $(uname -m), $("$PY" --version 2>&1) at $(command -v "$PY")"
        nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv
        check_sums "$HERE"
        untar "$HERE/site.tar.xz" "$SITE" && untar "$HERE/av.tar.xz" "$SITE" &&
            echo "unpacked into $SITE: $(du -sh "$SITE" | cut -f1)"
        cuda_libs
        ls -l "$LIB"
        "$PY" -m pip list 2>/dev/null | grep -iE '^(torch|numpy|onnxruntime|tokenizers|huggingface.hub|tiktoken|numba|triton|nvidia-ml-py|nvidia-cublas|nvidia-cudnn-cu13) '
        "$PY" -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name(0), float(torch.ones(4, device="cuda").sum()))'
        "$PY" -c 'import whisper, faster_whisper, av; print("whisper", whisper.__file__, "faster_whisper", faster_whisper.__version__, "av", av.__version__)'
        CT2_VERBOSE=1 "$PY" "$GPU_PY" --check --device cuda
        echo "== step 1 done: $?"
    } 2>&1 | tee "$OUT/step1.log"
    ;;
2)
    {
        echo "== step 2: $(date -u +%T)"
        check_sums "$HERE"
        for n in 1 2; do ls -l "$KEEP/.gpu$n/model.tar.xz.part$n" 2>&1; done
        [ -d "$SITE/ctranslate2" ] && echo "packages from step 1 still here" ||
            echo "MISSING: $SITE (a fresh machine: run step 1 again)"
        echo "== step 2 done"
    } 2>&1 | tee "$OUT/step2.log"
    ;;
3)
    {
        echo "== step 3: $(date -u +%T)"
        check_sums "$HERE"
        missing=0
        for n in 1 2 3; do
            [ -f "$KEEP/.gpu$n/model.tar.xz.part$n" ] ||
                { echo "MISSING: .gpu$n/model.tar.xz.part$n (machine was restarted?)"; missing=1; }
        done
        [ -d "$SITE/ctranslate2" ] || { echo "MISSING: $SITE (run step 1 again)"; missing=1; }
        [ "$missing" = 0 ] || { echo "== step 3 cannot run: steps 1-3 must be consecutive"; exit 2; }
        if [ "$(stat -c %s "$MODEL/base/model.bin" 2>/dev/null)" != "$BASE_BIN_SIZE" ]; then
            mkdir -p "$MODEL"
            cat "$KEEP"/.gpu1/model.tar.xz.part1 "$KEEP"/.gpu2/model.tar.xz.part2 \
                "$KEEP"/.gpu3/model.tar.xz.part3 >"$MODEL/model.tar.xz"
            untar "$MODEL/model.tar.xz" "$MODEL" && rm -f "$MODEL/model.tar.xz"
        fi
        size="$(stat -c %s "$MODEL/base/model.bin")"
        sum="$(sha256sum "$MODEL/base/model.bin" | cut -d' ' -f1)"
        echo "model.bin: $size bytes (want $BASE_BIN_SIZE), sha256 $sum"
        [ "$size" = "$BASE_BIN_SIZE" ] && [ "$sum" = "$(cat "$HERE/model.bin.sha256")" ] ||
            { echo "== the joined model is wrong"; exit 3; }
        cuda_libs
        "$PY" "$GPU_PY" --device "${GPU_DEVICE:-cuda}" --model "$MODEL/base" \
            --cache "$MODEL/cache" --fixtures "$HERE/fixtures.npz" --out "$OUT/gpu.json" \
            --timeout "${GPU_TIMEOUT:-200}" ${GPU_ARGS:-}
        echo "== step 3 done: $? at $(date -u +%T)"
    } 2>&1 | tee "$OUT/step3.log"
    ;;
*)
    echo "usage: gpu-run.sh pack|1|2|3" >&2
    exit 2
    ;;
esac
