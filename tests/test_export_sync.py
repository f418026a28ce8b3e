"""The notebooks in nbs/ are the source: exporting them in a clean copy must reproduce musicnb/ exactly."""
import shutil, subprocess, sys
from pathlib import Path
from conftest import REPO

def test_nbdev_export_changes_nothing(tmp_path):
    for name in ('nbs', 'musicnb'): shutil.copytree(REPO/name, tmp_path/name, ignore=shutil.ignore_patterns('__pycache__', '.ipynb_checkpoints', '_proc'))
    for name in ('settings.ini',): shutil.copy(REPO/name, tmp_path/name)
    nbdev_export = Path(sys.executable).parent/'nbdev_export'
    subprocess.run([str(nbdev_export)], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    ours = {p.relative_to(REPO/'musicnb'): p.read_bytes() for p in (REPO/'musicnb').rglob('*.py')}
    theirs = {p.relative_to(tmp_path/'musicnb'): p.read_bytes() for p in (tmp_path/'musicnb').rglob('*.py')}
    assert sorted(ours) == sorted(theirs), f"modules differ: {sorted(set(ours) ^ set(theirs))}"
    stale = [str(k) for k in ours if ours[k] != theirs[k]]
    assert not stale, f"musicnb/ is out of date with the notebooks (run nbdev_export): {stale}"

def test_notebooks_are_clean():
    "Notebooks are stored without execution counts (nbdev_clean)."
    import json
    dirty = [str(p.relative_to(REPO)) for p in (REPO/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts
             and any(c.get('execution_count') for c in json.loads(p.read_text())['cells'] if c['cell_type'] == 'code')]
    assert not dirty, f"run nbdev_clean on: {dirty}"
