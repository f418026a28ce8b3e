"""Two CPU processes (gloo) through Lightning Fabric: train, resume on one process, pretrain with gathered negatives."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest
from conftest import REPO, run_cli, run_main

TINY = ('--model', 'cnn', '--synth-per-genre', 6, '--seconds', 1, '--hidden', 8, '--batch-size', 8, '--device', 'cpu')

def test_two_processes_train_and_process_zero_writes(tmp_path):
    env = dict(MUSICNB_CACHE=str(tmp_path/'cache'))
    p = run_cli('train', *TINY, '--epochs', 2, '--devices', 2, '--out', tmp_path/'ddp', env=env, check=True)
    assert 'Starting with 2 processes' in p.stdout + p.stderr and p.stdout.count('test accuracy') == 1, (p.stdout, p.stderr)
    m = json.loads((tmp_path/'ddp'/'metrics.json').read_text())
    cfg = json.loads((tmp_path/'ddp'/'config.json').read_text())
    assert m['world_size'] == 2 and cfg['devices'] == 2 and cfg['status'] == 'finished'
    preds = pd.read_csv(tmp_path/'ddp'/'predictions.csv', dtype=str)
    assert len(preds) == m['n_test_tracks'] and preds['track_id'].is_unique             # every test track once, gathered
    assert len(pd.read_csv(tmp_path/'ddp'/'history.csv')) == 2

def test_two_process_run_resumes_on_one_process(tmp_path):
    env = dict(MUSICNB_CACHE=str(tmp_path/'cache'))
    out = tmp_path/'run'
    args = ('train', *TINY, '--epochs', 400, '--patience', 400, '--out', out)
    exe = Path(sys.executable).parent/'musicnb'
    first = subprocess.Popen([str(exe), *map(str, args), '--devices', '2'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, 'MUSICNB_PROGRESS': '0', **env}, cwd=REPO, start_new_session=True)
    try:
        t = time.time()
        while not (out/'checkpoints'/'last.pt').exists():
            assert first.poll() is None, first.communicate()
            assert time.time() - t < 180, 'no checkpoint'
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        os.killpg(first.pid, signal.SIGKILL); first.wait()                                  # kill -9, every process
    # the same settings on one process: it resumes from the two-process checkpoint; stop it (Ctrl-C) after one more epoch
    second = subprocess.Popen([str(exe), *map(str, args), '--devices', '1'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, 'MUSICNB_PROGRESS': '0', **env}, cwd=REPO, text=True)
    stamp = (out/'checkpoints'/'last.pt').stat().st_mtime_ns
    try:
        t = time.time()
        while (out/'checkpoints'/'last.pt').stat().st_mtime_ns == stamp:
            assert second.poll() is None, second.communicate()
            assert time.time() - t < 180, 'no progress after resuming'
            time.sleep(0.2)
        second.send_signal(signal.SIGINT)
        _, err = second.communicate(timeout=120)
    finally:
        if second.poll() is None: second.kill()
    assert f'musicnb: resuming {out} from epoch ' in err and 'Traceback' not in err, err

def test_two_processes_pretrain_in_memory_and_from_shards(tmp_path):
    "SimCLR on two processes (negatives gathered from both), from the decoded corpus and from shards."
    env = dict(MUSICNB_CACHE=str(tmp_path/'cache'))
    common = ('--seconds', 1, '--steps', 3, '--batch-size', 8, '--head-dim', 16, '--device', 'cpu', '--devices', 2)
    run_cli('pretrain', '--synth-per-genre', 6, *common, '--out', tmp_path/'pre', env=env, check=True)
    run_cli('shard', '--synth-per-genre', 6, '--seconds', 1, '--out', tmp_path/'shards', env=env, check=True)
    run_cli('pretrain', '--shards', tmp_path/'shards', *common, '--out', tmp_path/'pre-sh', env=env, check=True)
    for run in ('pre', 'pre-sh'):
        m = json.loads((tmp_path/run/'metrics.json').read_text())
        assert m['world_size'] == 2 and m['steps'] == 3 and (tmp_path/run/'encoder.pt').exists()
        assert abs(m['chance_loss'] - __import__('math').log(2 * 8 * 2 - 1)) < 1e-9      # 2N·W - 1 candidates per anchor
    # the linear probe on two processes: each takes half of every batch, and the averaged gradients are the whole batch's
    probe = ('probe', '--encoder', tmp_path/'pre'/'encoder.pt', '--synth-per-genre', 6, '--seconds', 1, '--epochs', 2, '--device', 'cpu')
    p = run_cli(*probe, '--devices', 2, '--out', tmp_path/'probe2', env=env, check=True)
    assert p.stdout.count('linear probe of a pre-trained') == 1, p.stdout
    run_cli(*probe, '--out', tmp_path/'probe1', env=env, check=True)
    one, two = (pd.read_csv(tmp_path/f'probe{k}'/'predictions.csv') for k in (1, 2))
    assert json.loads((tmp_path/'probe2'/'metrics.json').read_text())['world_size'] == 2
    assert (one['track_id'] == two['track_id']).all() and (one.filter(like='p_') - two.filter(like='p_')).abs().max().max() < 1e-5

def test_two_process_head_equals_one_process(tmp_path):
    "Paper 2's head on two processes (each half of every batch, gradients averaged) gives one process's probabilities;\n    with BatchNorm, when its statistics are shared (--sync-batchnorm)."
    env = dict(MUSICNB_CACHE=str(tmp_path/'cache'))
    run_cli('embed', '--extractor', 'simclr', '--weights', 'random', '--synth-per-genre', 6, '--window-seconds', 1, '--device', 'cpu',
            '--out', tmp_path/'emb', env=env, check=True)
    head = ('head', '--embeddings', tmp_path/'emb', '--dropout', 0, '--no-batchnorm', '--epochs', 4, '--level', 'window', '--device', 'cpu')
    p = run_cli(*head, '--devices', 2, '--out', tmp_path/'h2', env=env, check=True)
    assert p.stdout.count('test accuracy') == 1, p.stdout
    run_cli(*head, '--out', tmp_path/'h1', env=env, check=True)
    one, two = (pd.read_csv(tmp_path/f'h{k}'/'predictions.csv') for k in (1, 2))
    assert json.loads((tmp_path/'h2'/'metrics.json').read_text())['world_size'] == 2
    assert (one.filter(like='p_') - two.filter(like='p_')).abs().max().max() < 1e-5
    # with BatchNorm: per-process statistics differ from the whole batch's; shared ones (--sync-batchnorm, GlobalBatchNorm
    # on CPU processes) are the whole batch's again
    bn = [a for a in head if a != '--no-batchnorm']
    run_cli(*bn, '--out', tmp_path/'b1', env=env, check=True)
    for k, extra in (('b2', ()), ('b3', ('--sync-batchnorm',))):
        run_cli(*bn, '--devices', 2, *extra, '--out', tmp_path/k, env=env, check=True)
    one, local, synced = (pd.read_csv(tmp_path/k/'predictions.csv').filter(like='p_') for k in ('b1', 'b2', 'b3'))
    # (one layer matches to 1e-6, forward and backward; four epochs of Adam carry that to ~1e-5 in the probabilities)
    assert (one - synced).abs().max().max() < 2e-4 and (one - local).abs().max().max() > 2e-3
