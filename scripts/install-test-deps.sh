#!/usr/bin/env bash
# Everything the whole test suite needs, in the virtual environment given as $1.
set -euo pipefail
VENV="${1:-.venv}"
PY="$VENV/bin/python"

bash "$(dirname "$0")/install-system-deps.sh"
# CPU build of PyTorch first, so openai-whisper does not pull a multi-GB CUDA build.
"$PY" -m pip install -q "torch==2.13.0"
"$PY" -m pip install -q -e ".[test]"
# openai-whisper without triton: triton (about 1 GB) only serves CUDA GPUs, and the
# CPU torch above cannot use one. These are openai-whisper 20250625's other requirements.
"$PY" -m pip install -q --no-deps "openai-whisper==20250625"
"$PY" -m pip install -q numba tiktoken more-itertools tqdm
