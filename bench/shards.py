#!/usr/bin/env python
"""Peak memory of one training epoch streamed from shards against the in-memory path, at 1x and 10x the data; shard
encodings compared (size, decoding rate).

    python bench/shards.py                              # 1000 and 10,000 SynthGenres clips of 3 s
    python bench/shards.py --per-genre 20 --scale 3     # a quick look (200 and 600 clips)

For each corpus size (SynthGenres, `--per-genre` x 10 clips of 3 s, and `--scale` times that), the work folder gets the
corpus, its manifest (stratified 70/15/15 split, seed 42), the segment cache (`load_segments`, 3 s at 16 kHz) and a shard
folder (`write_shards`, FLAC), built once and reused. Each measurement then runs in a fresh Python process:

- memory: what `musicnb train` does today: `load_segments` (the cache, memory-mapped), the three parts it trains and scores
  on (`segs.subset`, copies in memory), then one epoch of `TensorBatches` over the train part;
- stream: `ShardSet` and one epoch of `ShardBatches` over the train part (`--workers` DataLoader processes, a shuffle
  buffer of `--buffer` segments); and three epochs of the larger corpus, to show that the peak does not grow with time.

No model runs: each batch is only touched (summed), so the numbers are the data path's own. Peak memory is the main
process's peak resident set (VmHWM, which includes the libraries every path loads, about 0.8 GB with torch) plus the peak
of the DataLoader workers' summed USS (the pages only they hold: torch's libraries, shared with the main process since the
fork, are not counted again), sampled every 50 ms with psutil. PSS would split shared pages among every process that maps
them, other users' Python processes included, so it moves with the machine's load; VmHWM and USS do not. Memory-mapped
cache pages that an epoch touches count as resident: the kernel may drop them under pressure, but they are what the
process holds while it runs. The default buffer here (512) is below the train part of the 1x corpus (700 segments), so
that both sizes fill it.

Then the encodings: the 1x corpus written as flac, int16 and float32 shards; bytes per segment and the rate at which one
process reads and decodes them (segments/s, `ShardSet.stream`, warm page cache). On a machine shared with other jobs the
times are indicative only: the load average is printed with them.
"""
from __future__ import annotations
import argparse, json, os, platform, subprocess, sys, threading, time
from pathlib import Path

HERE = Path(__file__).resolve()


def _peak_workers(stop:threading.Event, out:list, every:float=0.05):
    "Sample the summed USS (pages no other process maps) of this process's children: the memory the workers add."
    import psutil
    me = psutil.Process()
    while not stop.is_set():
        total = 0
        for p in me.children(recursive=True):
            try: total += p.memory_full_info().uss
            except (psutil.NoSuchProcess, psutil.AccessDenied): pass
        out.append(total); stop.wait(every)


def _vm_hwm_mb() -> float:
    "This process's peak resident set (VmHWM; unlike ru_maxrss it does not inherit the parent's peak across fork and exec)."
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024
    return float('nan')


def measure(kind:str, root:Path, shards:Path, batch_size:int, workers:int, buffer:int, epochs:int=1) -> dict:
    "`epochs` epochs over the train part, in this (fresh) process; returns sizes, times and peak memory."
    import torch
    samples, stop = [], threading.Event()
    th = threading.Thread(target=_peak_workers, args=(stop, samples), daemon=True); th.start()
    t0 = time.perf_counter(); n, touched = 0, 0.0
    if kind == 'memory':
        from musicnb.datasets import scan
        from musicnb.features import load_segments
        from musicnb.train import TensorBatches
        segs = load_segments(scan(root, 'synth', split='stratified', seed=42), sr=16000, seconds=3.0, n_jobs=1)
        parts = {p: segs.subset(p) for p in ('train', 'valid', 'test')}          # as musicnb.train._train holds them
        tr = parts['train']
        data = TensorBatches(tr.audio, torch.as_tensor(tr.targets()), batch_size, torch.Generator().manual_seed(0))
    else:
        from musicnb.shards import ShardBatches, ShardSet
        data = ShardBatches(ShardSet(shards, verify='sizes'), 'train', batch_size, seed=0, workers=workers, buffer=buffer)
    t1 = time.perf_counter()
    for e in range(epochs):
        for xb, yb in data.epoch(e): touched += float(xb.sum()); n += len(xb)
    t2 = time.perf_counter()
    stop.set(); th.join()
    main, workers = _vm_hwm_mb(), max(samples, default=0) / 2**20
    return dict(kind=kind, epochs=epochs, segments=n // epochs, setup_s=t1 - t0, epoch_s=(t2 - t1) / epochs, main_mb=main, workers_mb=workers, total_mb=main + workers)


def build(work:Path, per_genre:int, jobs:int, encoding:str='flac') -> tuple[Path, Path]:
    "SynthGenres of per_genre x 10 clips of 3 s, its segment cache and its shard folder (reused when present)."
    from musicnb.synth import make_synthgenres
    from musicnb.datasets import scan
    from musicnb.features import load_segments
    from musicnb.shards import write_shards
    root = make_synthgenres(work/f'synth-{per_genre}', per_genre=per_genre, seconds=3.0, seed=0, n_jobs=jobs)
    m = scan(root, 'synth', split='stratified', seed=42)
    t = time.perf_counter(); load_segments(m, sr=16000, seconds=3.0, n_jobs=jobs); t_cache = time.perf_counter() - t
    out = work/f'shards-{per_genre}-{encoding}'
    t = time.perf_counter(); write_shards(m, out, seconds=3.0, encoding=encoding, n_jobs=jobs, verbose=False); t_shard = time.perf_counter() - t
    print(f"  {len(m)} clips: segment cache {t_cache:.1f} s, {encoding} shards {t_shard:.1f} s (0 when reused)", flush=True)
    return root, out


def run_fresh(kind, root, shards, a, epochs=1) -> dict:
    cmd = [sys.executable, str(HERE), '--measure', kind, '--root', str(root), '--shards', str(shards), '--batch-size', str(a.batch_size),
           '--workers', str(a.workers), '--buffer', str(a.buffer), '--epochs', str(epochs)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
    if p.returncode != 0: raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def encodings(work:Path, per_genre:int, jobs:int) -> list[dict]:
    from musicnb.shards import ShardSet
    rows = []
    for enc in ('flac', 'int16', 'float32'):
        _, out = build(work, per_genre, jobs, enc)
        ss = ShardSet(out, verify='sizes')
        size = sum(s['bytes'] for s in ss.info['shards'])
        for _ in ss.stream(ss.parts, batch_size=256): pass                        # warm the page cache
        t = time.perf_counter(); n = sum(len(xb) for xb, _ in ss.stream(ss.parts, batch_size=256)); dt = time.perf_counter() - t
        rows.append(dict(encoding=enc, mb=size / 1e6, bytes_per_segment=size / len(ss), segments_per_s=n / dt))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', type=Path, default=Path('/tmp/musicnb-bench-shards'), help='corpora, caches and shards (kept for reruns)')
    ap.add_argument('--per-genre', type=int, default=100, help='clips per genre at 1x (10 genres, 3 s each)')
    ap.add_argument('--scale', type=int, default=10, help='the larger corpus is this many times the 1x one')
    ap.add_argument('--batch-size', type=int, default=32)
    ap.add_argument('--workers', type=int, default=2, help='DataLoader processes of the streamed epoch')
    ap.add_argument('--buffer', type=int, default=512, help='shuffle buffer of the streamed epoch (segments)')
    ap.add_argument('--jobs', type=int, default=2, help='processes that generate and decode the corpora')
    ap.add_argument('--epochs', type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument('--measure', choices=('memory', 'stream'), default=None, help=argparse.SUPPRESS)
    ap.add_argument('--root', type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument('--shards', type=Path, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.measure:
        print(json.dumps(measure(a.measure, a.root, a.shards, a.batch_size, a.workers, a.buffer, a.epochs))); return
    a.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault('MUSICNB_CACHE', str(a.work/'cache'))
    os.environ.update(MUSICNB_PROGRESS='0', OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'))
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}; work folder {a.work}", flush=True)
    sizes = [a.per_genre, a.per_genre * a.scale]
    built = {n: build(a.work, n, a.jobs) for n in sizes}
    rows = []
    for n in sizes:
        for kind in ('memory', 'stream'):
            r = run_fresh(kind, *built[n], a); r['clips'] = n * 10; rows.append(r)
            print(f"  {kind:6s} {n * 10:6d} clips: peak {r['total_mb']:7.0f} MB, epoch {r['epoch_s']:.1f} s", flush=True)
    r = run_fresh('stream', *built[sizes[-1]], a, epochs=3); r['clips'] = sizes[-1] * 10; rows.append(r)   # no growth with time either
    print(f"\nOne epoch over the train part (70 %), batch {a.batch_size}; stream: {a.workers} workers, buffer {a.buffer}, FLAC shards")
    print("| path | clips | train segments | epochs | main process (MB) | workers (MB) | peak, all (MB) | setup (s) | s per epoch |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {'in memory' if r['kind'] == 'memory' else 'shards'} | {r['clips']} | {r['segments']} | {r['epochs']} | {r['main_mb']:.0f} | "
              f"{r['workers_mb']:.0f} | {r['total_mb']:.0f} | {r['setup_s']:.1f} | {r['epoch_s']:.1f} |")
    for kind in ('memory', 'stream'):
        small, large = (next(r for r in rows if r['kind'] == kind and r['clips'] == n * 10 and r['epochs'] == 1) for n in sizes)
        print(f"{'in memory' if kind == 'memory' else 'shards'}: {a.scale}x the data -> {large['total_mb'] / small['total_mb']:.2f}x the peak "
              f"({large['total_mb'] - small['total_mb']:+.0f} MB)")
    print(f"\nEncodings of the {sizes[0] * 10}-clip corpus (3 s segments at 16 kHz; one process reads and decodes, warm page cache)")
    print("| encoding | shards (MB) | bytes per segment | decoded segments/s |")
    print("| --- | ---: | ---: | ---: |")
    for r in encodings(a.work, sizes[0], a.jobs):
        print(f"| {r['encoding']} | {r['mb']:.1f} | {r['bytes_per_segment']:.0f} | {r['segments_per_s']:.0f} |")


if __name__ == '__main__': main()
