#!/usr/bin/env bash
# The main musicnb job on the embedded SynthGenres corpus, on a fresh machine or an old one:
# creates or reuses the virtual environment, installs musicnb, then runs `musicnb demo`.
# Extra arguments go to `musicnb demo` (e.g. --device cuda, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
musicnb demo "$@"
