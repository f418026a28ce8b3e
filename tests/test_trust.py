"""Trustworthy runs from the command line: damaged caches are rebuilt, run folders are owned, killed runs are
listed, bad checkpoints and outputs are refused with the remedy, logs stay readable."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
from conftest import REPO, run_cli, run_main

TINY = ('--synth-per-genre', 3, '--seconds', 1, '--hidden', 8, '--batch-size', 8)

def _env(cache):
    return dict(os.environ, MUSICNB_PROGRESS='0', MUSICNB_CACHE=str(cache))

def _start(args, cache):
    "Start `musicnb ARGS` in the background (stdout/stderr captured)."
    exe = Path(sys.executable).parent/'musicnb'
    return subprocess.Popen([str(exe), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(cache), cwd=REPO)

def _wait_for(cond, proc, timeout=120):
    t = time.time()
    while not cond():
        if proc.poll() is not None: raise AssertionError(f"the run ended early: {proc.communicate()}")
        if time.time() - t > timeout: raise AssertionError('timed out')
        time.sleep(0.1)

def _status(out):
    try: return json.loads((out/'config.json').read_text()).get('status')
    except (OSError, ValueError): return None

def test_damaged_segment_cache_is_rebuilt_with_the_same_result(tmp_path):
    cache = tmp_path/'cache'
    env = dict(MUSICNB_CACHE=str(cache))
    args = ('train', '--model', 'cnn', *TINY, '--epochs', 2)
    assert run_main(*args, '--out', tmp_path/'a', env=env)[0] == 0
    audio, = (cache/'segments').glob('*/audio.npy')
    n = audio.stat().st_size
    with open(audio, 'r+b') as f: f.seek(n // 2); f.write(np.random.default_rng(0).bytes(n // 4))   # same size, garbage inside
    rc, out, err = run_main(*args, '--out', tmp_path/'b', env=env)
    assert rc == 0 and f"musicnb: warning: cache entry {audio.parent} is damaged (audio.npy does not match its checksum" in err, err
    a, b = (json.loads((tmp_path/r/'metrics.json').read_text()) for r in 'ab')
    assert a['accuracy'] == b['accuracy'] and a['macro_f1'] == b['macro_f1']

def test_two_runs_into_one_folder_and_a_killed_run(tmp_path):
    cache, runs = tmp_path/'cache', tmp_path/'runs'
    assert run_main('train', '--model', 'cnn', *TINY, '--epochs', 1, '--out', runs/'done', env=dict(MUSICNB_CACHE=str(cache)))[0] == 0
    out = runs/'busy'
    first = _start(('train', '--model', 'cnn', *TINY, '--epochs', 400, '--patience', 400, '--seed', 1, '--out', out), cache)
    try:
        _wait_for(lambda: (out/'checkpoints'/'last.pt').exists(), first)
        rc, o, err = run_main('train', '--model', 'cnn', *TINY, '--epochs', 400, '--seed', 2, '--out', out, env=dict(MUSICNB_CACHE=str(cache)))
        assert rc == 2 and f"{out} is in use by another run (process {first.pid} on" in err, err
        assert len(err.strip().splitlines()) == 1 and 'Traceback' not in err
        assert _status(out) == 'running'
        first.send_signal(signal.SIGKILL); first.wait()                                     # kill -9
    finally:
        if first.poll() is None: first.kill()
    rc, o, err = run_main('report', runs, '--out', tmp_path/'report')
    assert rc == 0 and '1 runs' in o and '1 unfinished run: busy (killed) (left out of the tables)' in o, o
    assert '1 unfinished run: busy (killed)' in (tmp_path/'report'/'summary.md').read_text()
    rc, o, err = run_main('train', '--model', 'cnn', *TINY, '--epochs', 400, '--patience', 400, '--seed', 2, '--out', out)
    assert rc == 2 and 'holds a killed run with other settings (seed: 1 there, 2 here)' in err and '--restart' in err, err

def test_garbage_checkpoint_names_the_remedy(tmp_path):
    cache, out = tmp_path/'cache', tmp_path/'run'
    env = dict(MUSICNB_CACHE=str(cache))
    args = ('train', '--model', 'cnn', *TINY, '--epochs', 3, '--out', out)
    assert run_main(*args, env=env)[0] == 0
    (out/'metrics.json').unlink(); (out/'checkpoints'/'last.pt').write_bytes(b'not a checkpoint')
    rc, o, err = run_main(*args, env=env)
    assert rc == 2 and 'unreadable checkpoint' in err and 'pass --restart' in err and 'Traceback' not in err, err
    rc, o, err = run_main(*args, '--restart', env=env)
    assert rc == 0 and 'resuming' not in err and (out/'metrics.json').exists()
    rc, o, err = run_main(*args, env=env)                                           # finished: found, not trained again
    assert rc == 0 and 'already holds this finished run' in o

def test_killed_run_resumes_and_says_so(tmp_path):
    cache, out = tmp_path/'cache', tmp_path/'run'
    args = ('train', '--model', 'cnn', *TINY, '--epochs', 400, '--patience', 400, '--out', out)
    first = _start(args, cache)
    try:
        _wait_for(lambda: (out/'checkpoints'/'last.pt').exists(), first)
        first.send_signal(signal.SIGKILL); first.wait()
    finally:
        if first.poll() is None: first.kill()
    stamp = (out/'checkpoints'/'last.pt').stat().st_mtime_ns
    resumed = _start(args, cache)
    try:
        _wait_for(lambda: (out/'checkpoints'/'last.pt').stat().st_mtime_ns != stamp, resumed)   # one more epoch done
        resumed.send_signal(signal.SIGINT)                                                   # Ctrl-C
        _, err = resumed.communicate(timeout=120)
    finally:
        if resumed.poll() is None: resumed.kill()
    assert f'musicnb: resuming {out} from epoch ' in err, err
    assert 'Traceback' not in err and resumed.returncode == 130 and _status(out) == 'interrupted'

def test_output_that_is_a_file_is_refused_before_any_work(tmp_path):
    (f := tmp_path/'results.txt').write_text('my notes')
    for model in ('svm', 'cnn'):
        rc, o, err = run_main('train', '--model', model, *TINY, '--out', f, env=dict(MUSICNB_CACHE=str(tmp_path/'cache')))
        assert rc == 2 and f"{f} is a file, not a folder" in err, err
        assert not (tmp_path/'cache'/'segments').exists()                                  # nothing decoded
    assert f.read_text() == 'my notes'

def test_logs_stay_readable_when_redirected(tmp_path):
    "stderr to a file: no progress-bar redraws, one line per epoch."
    rc, o, err = run_main('train', '--model', 'cnn', *TINY, '--epochs', 3, '--out', tmp_path/'run',
                          env=dict(MUSICNB_PROGRESS='1', MUSICNB_CACHE=str(tmp_path/'cache')))
    assert rc == 0 and '\r' not in err and '\x1b[' not in err
    assert [l.split(':')[0] for l in err.splitlines() if l.startswith('epoch ')] == ['epoch 1/3', 'epoch 2/3', 'epoch 3/3']
    assert len(err) < 2000, err

def test_experiment_set_value_that_is_not_python(tmp_path):
    rc, o, err = run_main('experiment', 'table3_dual_stream', '--set', 'SEEDS=[42,', '--set', f'OUT={tmp_path}')
    assert rc == 2 and 'SEEDS=[42,: not a valid Python value' in err and 'Traceback' not in err, err
    assert not list(tmp_path.iterdir())                                                       # stopped before the first cell

def test_bad_files_are_named_in_a_file_not_an_attribute(tmp_path):
    import soundfile as sf
    root = tmp_path/'data'
    g = np.random.default_rng(0)
    for label in ('a', 'b'):
        for i in range(8):
            (root/label).mkdir(parents=True, exist_ok=True)
            sf.write(root/label/f'{i}.wav', 0.1 * g.standard_normal(16000).astype(np.float32), 16000)
    bad = 0.1 * g.standard_normal(16000).astype(np.float32); bad[10] = np.nan
    sf.write(root/'a'/'nan.wav', bad, 16000, subtype='FLOAT')
    rc, o, err = run_main('train', '--data', root, '--layout', 'folder', '--model', 'svm', '--seconds', 1, '--out', tmp_path/'run',
                          env=dict(MUSICNB_CACHE=str(tmp_path/'cache')))
    assert '.manifest.skipped' not in err and 'skipped.json' in err, err
