"""Shared fixtures for the tests that a notebook cannot hold: the command line end to end, bad input, install."""
import os, subprocess, sys
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parent.parent

def run_cli(*args, check=False, timeout=600, env=None):
    "Run the installed `musicnb ARGS` in a subprocess; return CompletedProcess with text output."
    e = {**os.environ, 'MUSICNB_PROGRESS': '0', **(env or {})}
    p = subprocess.run([str(Path(sys.executable).parent/'musicnb'), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, env=e, cwd=REPO)
    if check and p.returncode != 0: raise AssertionError(f"musicnb {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p

@pytest.fixture
def cli(): return run_cli

@pytest.fixture(scope='session')
def synth_root(tmp_path_factory):
    "A tiny SynthGenres corpus made once per test session (2 tracks per genre, 1 s)."
    out = tmp_path_factory.mktemp('synth')
    run_cli('synth', out, '--per-genre', 3, '--seconds', 1, '--seed', 3, check=True)
    return out

def run_main(*args, env=None):
    "Run `musicnb ARGS` in this process (no interpreter start-up): (exit status, stdout, stderr)."
    import contextlib, io
    from musicnb.cli import main
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update({k: str(v) for k, v in (env or {}).items()})
    o, e = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            try: rc = main([str(a) for a in args])
            except SystemExit as ex: rc = ex.code
    finally:
        for k, v in old.items():
            if v is None: os.environ.pop(k, None)
            else: os.environ[k] = v
    return rc, o.getvalue(), e.getvalue()
