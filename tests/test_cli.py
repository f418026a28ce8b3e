"""The `musicnb` command end to end, as a user runs it: real subprocesses, real files, bad input."""
import json, hashlib
import numpy as np, soundfile as sf
import pytest
from conftest import run_cli

def digest(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob('*')) if p.is_file()}

def test_synth_same_seed_is_byte_identical(tmp_path):
    a, b, c = tmp_path/'a', tmp_path/'b', tmp_path/'c'
    for out, seed in ((a, 5), (b, 5), (c, 6)): run_cli('synth', out, '--per-genre', 2, '--seconds', 1, '--seed', seed, check=True)
    assert digest(a) == digest(b)
    wav = lambda d: {k: v for k, v in d.items() if k.endswith('.wav')}
    assert wav(digest(a)).keys() == wav(digest(c)).keys() and wav(digest(a)) != wav(digest(c))

def test_scan_json_contract(synth_root):
    p = run_cli('scan', synth_root, '--layout', 'synth', '--split', 'stratified', '--json', check=True)
    s = json.loads(p.stdout)
    assert {'tracks', 'labels', 'skipped', 'split'} <= s.keys()
    assert s['tracks'] == sum(s['labels'].values()) and s['tracks'] > 0
    assert set(s['split']) == {'train', 'valid', 'test'} and sum(s['split'].values()) == s['tracks']
    assert s['skipped'] == []

def test_scan_text_report(synth_root):
    p = run_cli('scan', synth_root, '--layout', 'synth', check=True)
    assert 'usable tracks' in p.stdout and 'skipped 0 files' in p.stdout

def _gtzan_copy(root, genres=('blues', 'jazz'), n=3):
    for g in genres:
        (root/'genres_original'/g).mkdir(parents=True)
        for i in range(n): sf.write(root/'genres_original'/g/f'{g}.{i:05d}.wav', np.random.default_rng(i).uniform(-.5, .5, 8000).astype('float32'), 16000, subtype='PCM_16')
    return root

def test_scan_reports_corrupt_jazz_00054_and_goes_on(tmp_path):
    root = _gtzan_copy(tmp_path/'gtzan')
    good = (root/'genres_original'/'jazz'/'jazz.00000.wav').read_bytes()
    (root/'genres_original'/'jazz'/'jazz.00054.wav').write_bytes(good[:30])     # truncated header, like the real one
    (root/'genres_original'/'blues'/'._blues.00000.wav').write_bytes(b'\x00\x05\x16\x07' * 8)  # macOS resource fork
    p = run_cli('scan', root, '--layout', 'gtzan', '--json')
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s['tracks'] == 6 and s['labels'] == {'blues': 3, 'jazz': 3}
    assert [x['path'].endswith('jazz.00054.wav') for x in s['skipped']] == [True]
    assert s['skipped'][0]['reason']
    p = run_cli('scan', root, '--layout', 'gtzan')
    assert p.returncode == 0 and 'jazz.00054.wav' in p.stdout

@pytest.mark.parametrize('args, needle', [
    (('scan', '/no/such/root', '--layout', 'gtzan'), '/no/such/root'),
    (('scan', '.', '--layout', 'bogus'), 'invalid choice'),
    (('synth', '{out}', '--per-genre', '0'), 'expected a number >= 1'),
    (('synth', '{out}', '--seconds', 'abc'), 'expected a number'),
])
def test_bad_input_one_line_nonzero(args, needle, tmp_path):
    p = run_cli(*(str(a).format(out=tmp_path/'out') for a in args))
    assert p.returncode != 0 and needle in p.stderr, p.stderr
    assert 'Traceback' not in p.stderr

def test_scan_empty_root_fails_clearly(tmp_path):
    (tmp_path/'empty').mkdir(); (tmp_path/'empty'/'notes.txt').write_text('no audio here')
    p = run_cli('scan', tmp_path/'empty', '--layout', 'folder')
    assert p.returncode != 0 and 'Traceback' not in p.stderr and p.stderr.startswith('musicnb: error:')
    assert len(p.stderr.strip().splitlines()) == 1

def test_scan_unknown_split_lists_choices(synth_root):
    p = run_cli('scan', synth_root, '--layout', 'synth', '--split', 'nope')
    assert p.returncode == 2 and 'nope' in p.stderr and 'stratified' in p.stderr

def test_train_then_report_end_to_end(tmp_path):
    runs = tmp_path/'runs'
    common = ('--synth-per-genre', 3, '--seconds', 1, '--hidden', 8, '--epochs', 2, '--batch-size', 8)
    p = run_cli('train', '--model', 'dual-stream', *common, '--out', runs/'dual', check=True)
    assert 'test accuracy' in p.stdout and len(p.stdout.strip().splitlines()) == 1
    run_cli('train', '--model', 'svm', *common, '--out', runs/'svm', check=True)
    for run in ('dual', 'svm'):
        assert {'config.json', 'metrics.json', 'predictions.csv', 'env.json'} <= {f.name for f in (runs/run).iterdir()}
        m = json.loads((runs/run/'metrics.json').read_text())
        assert 0 <= m['accuracy'] <= 1 and 'segment' in m
    p = run_cli('report', runs, '--out', tmp_path/'report', check=True)
    assert '2 runs' in p.stdout
    assert (tmp_path/'report'/'summary.md').exists() and (tmp_path/'report'/'summary.tex').exists()
    assert list((tmp_path/'report'/'figures').glob('confusion_*.pdf'))
    p = run_cli('report', runs, '--out', tmp_path/'report2', '--baseline', 'model=transformer')   # names no group
    assert p.returncode == 2 and 'matches 0 of the groups' in p.stderr and not (tmp_path/'report2').exists(), p.stderr

@pytest.mark.parametrize('args, needle', [
    (('train', '--layout', 'folder', '--data', '/no/such/data', '--out', '{out}'), '/no/such/data'),
    (('train', '--layout', 'gtzan', '--out', '{out}'), '--data is required'),
    (('train', '--model', 'transformer', '--out', '{out}'), 'invalid choice'),
    (('train', '--alpha', '2', '--out', '{out}'), 'alpha must lie in [0, 1]'),
    (('train', '--layout', 'synth', '--cuda-graph', '--device', 'cpu', '--out', '{out}'), '--cuda-graph needs a CUDA device; --device cpu'),
    (('train', '--layout', 'synth', '--cuda-graph', '--compile', '--out', '{out}'), 'cuda_graph and compile do not go together'),
    (('report', '/no/such/runs', '--out', '{out}'), '/no/such/runs'),
])
def test_train_and_report_bad_input(args, needle, tmp_path):
    p = run_cli(*(str(a).format(out=tmp_path/'out') for a in args))
    assert p.returncode != 0 and needle in p.stderr and 'Traceback' not in p.stderr, p.stderr

def test_demo_runs_the_main_job(tmp_path):
    p = run_cli('demo', '--out', tmp_path/'demo', '--per-genre', 3, '--seconds', 1, '--models', 'cnn', 'svm', '--jobs', 1, check=True)
    for step in ('[1/5]', '[2/5]', '[3/5]', '[4/5]', '[5/5]', 'demo finished'): assert step in p.stdout, p.stdout
    assert (tmp_path/'demo'/'runs'/'cnn'/'metrics.json').exists() and (tmp_path/'demo'/'report'/'summary.md').exists()

def test_pretrain_then_probe_end_to_end(tmp_path):
    common = ('--synth-per-genre', 3, '--seconds', 1)
    run_cli('pretrain', '--method', 'simclr', *common, '--steps', 3, '--batch-size', 8, '--temperature', 0.5, '--head-dim', 64,
            '--out', tmp_path/'pre', check=True)
    assert (tmp_path/'pre'/'encoder.pt').exists() and (tmp_path/'pre'/'metrics.json').exists()
    for enc, name in ((tmp_path/'pre'/'encoder.pt', 'lin'), ('random', 'rnd')):
        run_cli('probe', '--encoder', enc, *common, '--mode', 'linear', '--epochs', 2, '--out', tmp_path/name, check=True)
        m = json.loads((tmp_path/name/'metrics.json').read_text())
        assert 0 <= m['accuracy'] <= 1 and 'segment' in m
    run_cli('probe', '--encoder', tmp_path/'pre'/'encoder.pt', *common, '--mode', 'finetune', '--epochs', 1,
            '--labels-fraction', 0.5, '--out', tmp_path/'ft', check=True)
    p = run_cli('probe', '--encoder', tmp_path/'missing.pt', *common, '--out', tmp_path/'bad')
    assert p.returncode == 2 and 'missing.pt' in p.stderr and 'Traceback' not in p.stderr, p.stderr
    p = run_cli('pretrain', '--temperature', '-1', '--out', tmp_path/'bad2')
    assert p.returncode == 2 and 'Traceback' not in p.stderr

def test_experiment_runs_a_notebook_headless(tmp_path):
    out = tmp_path/'t3'
    p = run_cli('experiment', 'table3_dual_stream', '--set', 'SEEDS=[42]', '--set', f'OUT={out}', check=True)
    saved = out/'table3_dual_stream.ipynb'
    assert str(saved) in p.stdout and 'cell 1/' in p.stderr
    assert (out/'table3_overall.csv').exists() and (out/'table3.tex').exists()
    nb = json.loads(saved.read_text())
    assert any('image/png' in o.get('data', {}) for c in nb['cells'] for o in c.get('outputs', []))   # figures kept
    assert "SEEDS = [42]  # set by musicnb experiment" in ''.join(nb['cells'][1]['source'])

def test_experiment_failure_names_the_cell_and_keeps_no_result(tmp_path):
    out = tmp_path/'t3'
    p = run_cli('experiment', 'table3_dual_stream', '--set', 'LAYOUT=gtzan', '--set', 'DATA=/no/such/gtzan', '--set', f'OUT={out}')
    assert p.returncode == 2 and 'Traceback' not in p.stderr, p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith('musicnb: error: table3_dual_stream: cell ') and '/no/such/gtzan' in last, last
    assert (out/'table3_dual_stream.failed.ipynb').exists() and not (out/'table3_dual_stream.ipynb').exists()
