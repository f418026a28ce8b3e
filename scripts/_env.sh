# Sourced by scripts/*.sh: create or reuse musicnb's virtual environment and put it on PATH.
# The venv lives outside the checkout (default ~/.venvs/musicnb, override with MUSICNB_VENV) so that
# fresh clones reuse it; it is (re)installed when settings.ini/setup.py change. PYTHONPATH puts this
# checkout first, so several clones can share the venv without reinstalling.
VENV="${MUSICNB_VENV:-$HOME/.venvs/musicnb}"
PYTHON="${PYTHON:-python3}"
REPO="$(pwd -P)"
if [ ! -x "$VENV/bin/python" ]; then
  echo "musicnb: creating virtual environment $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
want="$(cat settings.ini setup.py pyproject.toml | sha256sum | cut -c1-16)"
have="$(cat "$VENV/.musicnb-stamp" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
  echo "musicnb: installing musicnb and its pinned dependencies into $VENV (first time: a few minutes)" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; } >&2
  "$VENV/bin/python" -m pip install -q -e ".[dev]" 2>&1 | { grep -v -e '^WARNING: Location' -e '^ *!!' -e '^ *\*\*\*' || true; } >&2
  echo "$want" > "$VENV/.musicnb-stamp"
fi
export PATH="$VENV/bin:$PATH"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
"$VENV/bin/python" -c "import musicnb, pathlib, sys; sys.exit(pathlib.Path(musicnb.__file__).resolve().parent.parent != pathlib.Path('$REPO'))" \
  || { echo "musicnb: python in $VENV does not import musicnb from $REPO" >&2; exit 1; }
# keep tools' per-user state out of the way and reproducible
export MUSICNB_HOME_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/musicnb-tools"
export MPLBACKEND="${MPLBACKEND:-Agg}"
export MPLCONFIGDIR="${MPLCONFIGDIR:-$MUSICNB_HOME_CACHE/matplotlib}"
export IPYTHONDIR="${IPYTHONDIR:-$MUSICNB_HOME_CACHE/ipython}"
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$MUSICNB_HOME_CACHE/numba}"
export JUPYTER_CONFIG_DIR="${JUPYTER_CONFIG_DIR:-$MUSICNB_HOME_CACHE/jupyter}"
mkdir -p "$MPLCONFIGDIR" "$IPYTHONDIR" "$NUMBA_CACHE_DIR" "$JUPYTER_CONFIG_DIR"
