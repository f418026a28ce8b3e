"""Notebooks are stored with their outputs: a reader sees every figure and player the prose refers to, within budget."""
import json, re, sys
from pathlib import Path
import pytest
from conftest import REPO

sys.path.insert(0, str(REPO/'scripts'))
from store_outputs import BUDGET_MB, SKIP_FLAGS, check

NOTEBOOKS = sorted((REPO/'nbs').glob('*.ipynb')) + sorted((REPO/'nbs'/'experiments').glob('*.ipynb'))
SHOWS_FIGURE = re.compile(r'^(plt\.close\(\w+\);\s*)?(fig\w*|plot_\w+\(.*\)|\w+\.figure|plt\.show\(\))\s*(#.*)?$')

def flags(src:str) -> set:
    return {l.strip()[2:].strip().split(':')[0] for l in src.splitlines() if l.strip().startswith('#|')}

def code_cells(nb):
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] == 'code' and not flags(''.join(c['source'])) & (SKIP_FLAGS | {'eval'}): yield i, c

def test_budget_no_bars_no_figure_twice():
    assert not check(NOTEBOOKS), '\n'.join(check(NOTEBOOKS))
    assert all(p.stat().st_size <= BUDGET_MB * 1e6 for p in NOTEBOOKS)

@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.relative_to(REPO/'nbs').as_posix())
def test_figures_and_players_are_stored(path):
    "A cell that ends by showing or saving a figure has a stored image; a cell that makes an audio player stores it."
    nb = json.loads(path.read_text())
    missing = []
    for i, c in enumerate(code_cells(nb)):
        i, c = c
        src = ''.join(c['source'])
        lines = [l for l in src.strip().splitlines() if l.strip() and not l.strip().startswith('#')]
        kinds = {k for o in c.get('outputs', []) for k in o.get('data', {})}
        # a definition (exported, or a function kept in the notebook) shows nothing itself; a figure saved and then
        # closed in a test is not meant to be seen
        defines = {'export', 'exports'} & flags(src) or (lines and re.match(r'(def|class) ', lines[0]))
        saved = 'save_figure(' in src and not re.search(r'plt\.close\(\w+\)$', lines[-1].strip() if lines else '')
        shows = not defines and (lines and SHOWS_FIGURE.match(lines[-1].strip()) or saved)
        if shows and not {'image/png', 'image/svg+xml'} & kinds:
            missing.append(f'cell {i}: shows a figure but stores none')
        if 'Audio(' in src and not defines and not any('<audio' in ''.join(o.get('data', {}).get('text/html', [])) for o in c.get('outputs', [])):
            missing.append(f'cell {i}: makes an audio player but stores none')
    assert not missing, f"{path.name}: " + '; '.join(missing) + " (run bash scripts/outputs.sh)"
