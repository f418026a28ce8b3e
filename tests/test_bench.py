"""The GPU benchmark's smoke run on the CPU: every stage runs and the projection is written."""
import json, subprocess, sys
from conftest import REPO

def test_gpu_bench_smoke_run(tmp_path):
    p = subprocess.run([sys.executable, str(REPO/'bench'/'gpu.py'), '--smoke', '--device', 'cpu', '--concurrent', '2', '--streams', '2',
                        '--json', str(tmp_path/'g.json')],
                       capture_output=True, text=True, timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stderr
    r = json.loads((tmp_path/'g.json').read_text())
    assert {'train_clips_s', 'predict_clips_s', 'pretrain_clips_s', 'embed_clips_s', 'finetune_clips_s'} <= set(r['rates'])
    assert all(v > 0 for v in r['rates'].values()) and r['total_h'] > 0 and len(r['projection_h']) == 17
    assert 'in all (paper 1 times only one experiment: below)' in p.stdout
    timed = r['paper_timed_h']                                     # the experiment the paper timed: pre-training + fine-tuning
    assert len(timed) == 2 and abs(sum(timed.values()) - r['paper_timed_total_h']) < 1e-9 and 'upper bound' not in p.stdout
    c = r['concurrent']                                            # two trainings at once, each measured
    assert c['concurrent'] == 2 and len(c['per_process_clips_s']) == 2 and all(v > 0 for v in c['per_process_clips_s'])
    assert abs(c['concurrent_train_clips_s'] - sum(c['per_process_clips_s'])) < 1e-6 and r['total_h_concurrent'] > 0
    st = r['streams']                                              # two trainings in one process, on one stream and on two
    assert st['streams'] == 2 and st['one_stream_clips_s'] > 0 and st['own_streams_clips_s'] > 0 and r['total_h_streams'] > 0
    assert len(st['train_losses']) == 2 and all(0 < v < 10 for v in st['train_losses']) and st['train_losses'][0] != st['train_losses'][1]

def test_gpu_bench_profile_smoke_run(tmp_path):
    "--profile times one dual-stream step with and without autocast and each stream alone, and lists the top operators."
    p = subprocess.run([sys.executable, str(REPO/'bench'/'gpu.py'), '--smoke', '--device', 'cpu', '--profile', '2', '--json', str(tmp_path/'p.json')],
                       capture_output=True, text=True, timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stderr
    r = json.loads((tmp_path/'p.json').read_text())['profile']
    assert {'step_ms_bf16', 'step_ms_fp32', 'time_stream_ms', 'freq_stream_ms'} <= set(r) and all(r[k] > 0 for k in r)
    assert 'its time stream alone' in p.stdout and 'Self CPU' in p.stdout
    assert r['simclr_views_ms'] > 0 and r['simclr_step_ms'] > 0 and 'to make the two views' in p.stdout   # the SimCLR step, in two

def test_gpu_bench_cuda_graph_smoke_run(tmp_path):
    "--cuda-graph trains through StepGraph (on the CPU with the eager stand-in for the capture) and says so in its record."
    p = subprocess.run([sys.executable, str(REPO/'bench'/'gpu.py'), '--smoke', '--device', 'cpu', '--cuda-graph', '--json', str(tmp_path/'g.json')],
                       capture_output=True, text=True, timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stderr
    r = json.loads((tmp_path/'g.json').read_text())
    assert r['cuda_graph'] is True and r['rates']['train_clips_s'] > 0 and 'CUDA-graph steps' in p.stdout

def test_gpu_bench_reprojects_recorded_rates(tmp_path):
    "--rates-from projects from a recorded run without measuring; a file that is not one is refused by name."
    rec = REPO/'bench'/'results'/'h100-2026-11-27'/'gpu_eager.json'
    run = lambda f: subprocess.run([sys.executable, str(REPO/'bench'/'gpu.py'), '--rates-from', str(f)], capture_output=True, text=True, timeout=120, cwd=REPO)
    p = run(rec)
    assert p.returncode == 0, p.stderr
    r = json.loads(rec.read_text())
    assert 'NVIDIA H100' in p.stdout and f"{r['total_h']:8.2f} h  in all" in p.stdout       # the recorded projection, reproduced
    pre, ft = 150 * 7200 / r['rates']['pretrain_clips_s'] / 60, 100 * 7200 / r['rates']['train_clips_s'] / 60
    assert f'{pre:8.1f} min  SimCLR pre-training' in p.stdout and f'{pre + ft:8.1f} min  in all' in p.stdout
    assert 'at the dual-stream rate, an upper bound' in p.stdout    # that run did not measure fine-tuning: the bound is said
    (tmp_path/'x.json').write_text('{"rates": {"train_clips_s": 1.0}}')
    for bad, says in ((tmp_path/'none.json', 'cannot read rates'), (tmp_path/'x.json', 'no embed_clips_s, pretrain_clips_s')):
        p = run(bad)
        assert p.returncode != 0 and says in p.stderr and str(bad) in p.stderr, p.stderr

def test_gpu_script_parses_and_names_every_part():
    "bench/on_gpu.sh (the GPU checks in one go) is valid bash, and its summary lists every part it runs."
    src = (REPO/'bench'/'on_gpu.sh').read_text()
    assert subprocess.run(['bash', '-n', str(REPO/'bench'/'on_gpu.sh')], capture_output=True).returncode == 0
    parts = [l.split()[1] for l in src.splitlines() if l.startswith('part ')]
    summary = next(l for l in src.splitlines() if l.startswith('for k in '))
    assert parts and all(p in summary for p in parts), (parts, summary)

def test_shell_scripts_parse():
    "Every shell script of bench/ and scripts/ is valid bash (the long ones run by hand, not in the suite)."
    scripts = sorted(REPO.glob('bench/*.sh')) + sorted(REPO.glob('scripts/*.sh'))
    assert scripts
    for s in scripts:
        p = subprocess.run(['bash', '-n', str(s)], capture_output=True, text=True)
        assert p.returncode == 0, (s.name, p.stderr)
