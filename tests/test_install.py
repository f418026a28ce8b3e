"""The package builds as a wheel with its pins, console script and every exported module."""
import subprocess, sys, zipfile
from conftest import REPO

def test_wheel_has_modules_pins_and_entry_point(tmp_path):
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(tmp_path), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    whl, = tmp_path.glob('musicnb-*.whl')
    names = zipfile.ZipFile(whl).namelist()
    modules = sorted(p.name for p in (REPO/'musicnb').glob('*.py'))
    assert all(f'musicnb/{m}' in names for m in modules), set(modules) - {n.split('/')[-1] for n in names}
    meta = zipfile.ZipFile(whl).read(next(n for n in names if n.endswith('METADATA'))).decode()
    assert 'Requires-Dist: torch==2.11.*' in meta and 'Requires-Dist: torchaudio==2.11.*' in meta
    assert 'Classifier: License ::' not in meta and 'Apache-2.0' in meta     # SPDX licence: setuptools prints no deprecation warning
    eps = zipfile.ZipFile(whl).read(next(n for n in names if n.endswith('entry_points.txt'))).decode()
    assert 'musicnb = musicnb.cli:main' in eps

def test_console_script_runs():
    "The installed `musicnb` command (setup.py console_scripts) answers --version and --help."
    from pathlib import Path
    exe = Path(sys.executable).parent/'musicnb'
    p = subprocess.run([str(exe), '--version'], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip().startswith('musicnb ')
    p = subprocess.run([str(exe), '--help'], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and 'scan' in p.stdout and 'synth' in p.stdout
