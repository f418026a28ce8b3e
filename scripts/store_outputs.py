"""Execute notebooks at test size and store their outputs in place, so that a reader on GitHub (or in the offline
site) sees every figure, table and audio player without running anything.

- the cells the suite runs are run (cells flagged `slow`, `cuda` or `full` are skipped and keep no output);
- figures are stored as PNG at `--dpi` (default 80: sharp on screen, small on disk), audio players as they are;
- progress bars are off (MUSICNB_PROGRESS=0), execution counts are cleared afterwards (nbdev_clean);
- the notebook file is replaced only when every cell ran: a failure leaves it as it was and names the cell.

    python scripts/store_outputs.py nbs/03_synthgenres.ipynb ...     (scripts/outputs.sh runs it on every notebook)
"""
from __future__ import annotations
import argparse, os, sys, tempfile, time
from pathlib import Path

SKIP_FLAGS = {'slow', 'cuda', 'full'}
SETUP = """
import matplotlib
matplotlib.rcParams['figure.dpi'] = {dpi}
matplotlib.rcParams['savefig.dpi'] = {dpi}
try:
    from matplotlib_inline.backend_inline import set_matplotlib_formats
    set_matplotlib_formats('png')
except Exception: pass
"""

def flags(cell) -> set:
    "The cell's nbdev flags: `#| slow` gives 'slow', `#| eval: false` gives 'eval: false'."
    out = set()
    for line in cell.source.splitlines():
        s = line.strip()
        if not s.startswith('#|'): break
        s = s[2:].strip()
        out.add(' '.join(s.replace(':', ': ').split()) if s.startswith('eval') else (s.split(':')[0].split() or [''])[0])
    return out

CLEARED = '\x1b[2K\r'   # what `clear_output` prints outside a kernel that renders widgets

def _unreadable(o) -> bool:
    """An output a stored notebook cannot show: `clear_output`'s erase codes, or a live widget (its view needs a
    kernel; what the widget displayed, figures and players, is stored as outputs of its own)."""
    if o.get('output_type') == 'stream': return not ''.join(o.get('text', '')).replace(CLEARED, '')
    return 'application/vnd.jupyter.widget-view+json' in o.get('data', {})

def run(path:Path, dpi:int) -> float:
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    t0 = time.time()
    nb = read_nb(path)
    sh = CaptureShell(path)
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        sh.run(SETUP.format(dpi=dpi))
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != 'code': continue
            if flags(cell) & (SKIP_FLAGS | {'eval: false'}) or 'nbdev_export(' in cell.source:
                cell.outputs = []; continue
            sh.cell(cell)
            if sh.exc:
                raise RuntimeError(f"{path}: cell {i} failed: {type(sh.exc).__name__}: {sh.exc}")
            cell.outputs = [o for o in cell.outputs if not _unreadable(o)]
    finally: os.chdir(cwd)
    with tempfile.NamedTemporaryFile('w', dir=path.parent, suffix='.ipynb', delete=False) as f: tmp = Path(f.name)
    write_nb(nb, tmp); os.replace(tmp, path)
    return time.time() - t0

BUDGET_MB = 2.0    # the most a notebook file may weigh with its outputs

def check(paths) -> list[str]:
    "What is wrong with the stored outputs: files over budget, progress bars, figures shown twice, outputs left from skipped cells."
    import hashlib, json
    problems = []
    for p in paths:
        size = p.stat().st_size / 1e6
        if size > BUDGET_MB: problems.append(f"{p}: {size:.2f} MB with its outputs (budget {BUDGET_MB} MB)")
        nb = json.loads(p.read_text())
        seen = set()
        for i, c in enumerate(nb['cells']):
            for o in c.get('outputs', []):
                data = o.get('data', {})
                if 'application/vnd.jupyter.widget-view+json' in data or '\r' in ''.join(o.get('text', [])):
                    problems.append(f"{p}: cell {i} stores a progress bar")
                if 'image/png' in data:
                    h = hashlib.sha1(''.join(data['image/png']).encode()).hexdigest()
                    if h in seen: problems.append(f"{p}: cell {i} shows a figure a second time")
                    seen.add(h)
    return problems

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('notebooks', nargs='+', type=Path)
    ap.add_argument('--dpi', type=int, default=80)
    ap.add_argument('--check', action='store_true', help='only check the stored outputs (budget, bars, duplicates)')
    a = ap.parse_args(argv)
    if a.check:
        problems = check(a.notebooks)
        for m in problems: print(m, file=sys.stderr)
        print(f"{len(a.notebooks)} notebooks checked: {len(problems)} problem(s)")
        return 1 if problems else 0
    os.environ['MUSICNB_PROGRESS'] = '0'
    os.environ.setdefault('MPLBACKEND', 'module://matplotlib_inline.backend_inline')
    bad = 0
    for p in a.notebooks:
        try: print(f"{p}: {run(p, a.dpi):.0f} s, {p.stat().st_size / 1e6:.2f} MB", flush=True)
        except Exception as e: print(f"FAILED {e}", file=sys.stderr, flush=True); bad += 1
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
