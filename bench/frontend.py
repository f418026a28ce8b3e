"""Throughput of musicnb's batched front end against a per-clip librosa loop, on the same clips.

Two comparisons:

1. decode + resample + log-mel, clips/s:
   - librosa: per clip, `librosa.load(sr=16000)` (soxr_hq) + `melspectrogram` + `power_to_db`;
   - musicnb: per clip `musicnb.audio.load_audio` (soundfile + soxr HQ, what `load_segments` runs in
     each worker), then `LogMel` on batches of `--batch-size` 3 s clips on `--device`.
   Both decode in one process, so decoding costs the same on both sides; the ratio shows what
   batching the features buys end to end.
2. log-mel only, from audio decoded once: per-clip librosa vs batched torch.

The clips are `--clips` temporary 3 s WAV files at 22.05 kHz (a chord, a chirp, noise; seeded), so
resampling to 16 kHz is exercised.

How it is timed. Each side runs in its own fresh Python process (numpy's BLAS threads and torch's
OpenMP threads both spin while idle, and on a small machine two spinning pools in one process slow
each other down several times over), twice, in the order librosa, musicnb, musicnb, librosa. Each
process times every batch `--repeats` times after a warm-up, and each batch counts with its best
time over all runs, so short bursts of competition from other processes are filtered out on both
sides alike. torch keeps its default thread count unless `--threads` is given. Not a test: the only
check is that both sides give the same features (the largest difference is printed, in dB).

    python bench/frontend.py --clips 128 --device auto --batch-size 32
"""
from __future__ import annotations
import argparse, json, math, os, platform, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import soundfile as sf

SR, N_FFT, HOP, N_MELS = 16000, 2048, 512, 128


def make_clips(folder:Path, n:int, sr:int=22050, seconds:float=3.0, seed:int=0) -> list[Path]:
    "Write `n` synthetic clips (chord + chirp + noise) as 16-bit WAV at `sr`; return their paths."
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr*seconds)) / sr
    paths = []
    for i in range(n):
        f0 = 110 * 2**(rng.integers(0, 24)/12)
        x = sum(0.15*np.sin(2*np.pi*f0*r*t) for r in (1, 1.25, 1.5))
        x = x + 0.2*np.sin(2*np.pi*(200*t + rng.uniform(100, 600)*t**2)) + 0.02*rng.standard_normal(len(t))
        p = folder/f'clip{i:04d}.wav'; sf.write(p, x.astype(np.float32), sr, subtype='PCM_16'); paths.append(p)
    return paths


def time_batches(fn, n_batches:int, repeats:int) -> tuple[list, list, list]:
    "Run `fn(i)` for every batch i, `repeats` times: per-batch best wall time (s), its CPU time (s), last results."
    best, cpu, out = [math.inf]*n_batches, [0.0]*n_batches, [None]*n_batches
    fn(0)                                                        # warm-up: imports, FFT plans, caches
    for _ in range(repeats):
        for i in range(n_batches):
            t0, c0 = time.perf_counter(), time.process_time()
            out[i] = fn(i)
            wall, c = time.perf_counter() - t0, time.process_time() - c0
            if wall < best[i]: best[i], cpu[i] = wall, c
    return best, cpu, out


def worker(side:str, folder:Path, args) -> dict:
    "Time one side's stages in this process; save its full-pipeline features to `folder/<side>.npy`."
    paths = sorted(folder.glob('clip*.wav')); bs = args.batch_size
    batches = [paths[i:i+bs] for i in range(0, len(paths), bs)]
    stages = {}
    if side == 'librosa':
        import librosa
        def logmel(y):                                           # (time,) -> (n_mels, frames)
            return librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
                                                                      fmin=0.0, fmax=SR/2), ref=1.0, top_db=80.0)
        decoded = [[librosa.load(p, sr=SR)[0] for p in b] for b in batches]
        stages['full'] = lambda i: np.stack([logmel(librosa.load(p, sr=SR)[0]) for p in batches[i]])
        stages['mel'] = lambda i: [logmel(y) for y in decoded[i]]
        info = dict(librosa=librosa.__version__)
    else:
        import torch
        from musicnb.audio import load_audio
        from musicnb.core import get_device
        from musicnb.features import LogMel
        if args.threads is not None: torch.set_num_threads(args.threads)
        dev = get_device(args.device)
        lm = LogMel(SR, N_FFT, HOP, N_MELS, f_max=SR/2).to(dev)
        def logmel(audio):                                       # (batch, time) on the CPU -> (batch, n_mels, frames) on the CPU
            with torch.inference_mode(): out = lm(audio.to(dev)).cpu()
            if dev.type == 'cuda': torch.cuda.synchronize(dev)
            return out.numpy()
        decode = lambda b: torch.from_numpy(np.stack([load_audio(p, sr=SR) for p in b]))
        audio = [decode(b) for b in batches]
        stages['full'] = lambda i: logmel(decode(batches[i]))
        stages['mel'] = lambda i: logmel(audio[i])
        stages['dec'] = lambda i: [load_audio(p, sr=SR) for p in batches[i]]
        info = dict(torch=torch.__version__, threads=torch.get_num_threads(), device=str(dev))
    res = {}
    for name, fn in stages.items():
        best, cpu, out = time_batches(fn, len(batches), args.repeats)
        res[name] = dict(best=best, cpu=cpu)
        if name == 'full': np.save(folder/f'{side}.npy', np.concatenate(out))
    return dict(info=info, stages=res)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--clips', type=int, default=128, help='number of 3 s clips')
    ap.add_argument('--device', default='auto', help='auto, cpu or cuda (the musicnb side)')
    ap.add_argument('--batch-size', type=int, default=32, help='clips per LogMel batch (and per timed unit)')
    ap.add_argument('--repeats', type=int, default=5, help='timed runs of every batch in each process')
    ap.add_argument('--threads', type=int, default=None, help="torch intra-op threads (default: torch's own choice)")
    ap.add_argument('--worker', default=None, help=argparse.SUPPRESS)   # internal: 'librosa' or 'musicnb' FOLDER
    ap.add_argument('--folder', default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.folder), args))); return

    passthrough = ['--batch-size', str(args.batch_size), '--repeats', str(args.repeats), '--device', args.device]
    if args.threads is not None: passthrough += ['--threads', str(args.threads)]
    with tempfile.TemporaryDirectory(prefix='musicnb-bench-') as d:
        make_clips(Path(d), args.clips)
        n = args.clips
        load0 = os.getloadavg()[0]
        runs = {'librosa': [], 'musicnb': []}; info = {}
        for side in ('librosa', 'musicnb', 'musicnb', 'librosa'):
            p = subprocess.run([sys.executable, __file__, '--worker', side, '--folder', d, *passthrough],
                               capture_output=True, text=True)
            if p.returncode: sys.exit(f"{side} worker failed:\n{p.stderr}")
            r = json.loads(p.stdout.strip().splitlines()[-1]); runs[side].append(r['stages']); info.update(r['info'])
        load1 = os.getloadavg()[0]
        diff = float(np.abs(np.load(Path(d)/'librosa.npy') - np.load(Path(d)/'musicnb.npy')).max())

    def total(side, stage):                                      # sum over batches of the best over both runs
        bests = [r[stage]['best'] for r in runs[side]]; cpus = [r[stage]['cpu'] for r in runs[side]]
        wall, cpu = 0.0, 0.0
        for i in range(len(bests[0])):
            j = min(range(len(bests)), key=lambda j: bests[j][i]); wall += bests[j][i]; cpu += cpus[j][i]
        return wall, cpu

    print(f"musicnb front-end benchmark: {n} clips of 3 s (22.05 kHz WAV -> 16 kHz), log-mel {N_MELS} x 94, "
          f"batch {args.batch_size}, musicnb on {info['device']} with {info['threads']} torch threads")
    print(f"torch {info['torch']}, librosa {info['librosa']}, {os.cpu_count()} CPUs ({platform.machine()}), "
          f"each batch the best of {2*args.repeats} runs in 2 processes per side")
    print(f"1-minute load average {load0:.1f} before, {load1:.1f} after (above {os.cpu_count()}: other processes were "
          f"competing for the CPUs); CPU ms/clip counts every thread of the timing process")
    rows = [('decode + resample + log-mel', 'librosa, per clip', 'librosa', 'full'),
            ('', 'musicnb, load_audio + batched LogMel', 'musicnb', 'full'),
            ('log-mel only (decoded audio)', 'librosa, per clip', 'librosa', 'mel'),
            ('', f'musicnb LogMel, batches of {args.batch_size}', 'musicnb', 'mel'),
            ('decode + resample only', 'musicnb load_audio (soxr HQ)', 'musicnb', 'dec')]
    print(f"\n| {'stage':<30} | {'pipeline':<38} | {'clips/s':>9} | {'ms/clip':>8} | {'CPU ms/clip':>11} |")
    print(f"| {'-'*30} | {'-'*38} | {'-'*9}:| {'-'*8}:| {'-'*11}:|")
    for stage, name, side, k in rows:
        wall, cpu = total(side, k)
        print(f"| {stage:<30} | {name:<38} | {n/wall:9.1f} | {1000*wall/n:8.2f} | {1000*cpu/n:11.2f} |")
    print(f"\nspeed-up, decode + resample + log-mel: {total('librosa', 'full')[0]/total('musicnb', 'full')[0]:.2f}x")
    print(f"speed-up, log-mel only:                {total('librosa', 'mel')[0]/total('musicnb', 'mel')[0]:.2f}x")
    print(f"max |musicnb - librosa| over all clips: {diff:.4f} dB")


if __name__ == '__main__': main()
