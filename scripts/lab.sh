#!/usr/bin/env bash
# Open the workbook in JupyterLab (creates or reuses the virtual environment first).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
python -m ipykernel install --user --name musicnb --display-name "musicnb" >/dev/null 2>&1 || true
extra=(); [ "$(id -u)" = 0 ] && extra+=(--allow-root)
exec jupyter lab --notebook-dir=nbs "${extra[@]}" "$@"
