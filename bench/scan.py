#!/usr/bin/env python
"""What `musicnb scan` costs, and where the near-duplicate threshold comes from.

    python bench/scan.py time                          # 1000 SynthGenres clips of 3 s (musicnb synth --per-genre 100)
    python bench/scan.py threshold --real DIR          # BER of non-duplicates and of degraded copies

time: writes the corpus once (under --work), then times the header-only scan (`scan`, what `--fast`
and `train` do), the decoding audit (`audit`, what `musicnb scan` does by default) with --jobs
threads, and the audit's decode stage alone serially, in --jobs threads and in --jobs spawned
processes (the choice `audit` makes: threads).

threshold: fingerprint bit error rates (musicnb.datasets.fingerprint_ber) of
  - non-duplicates: every pair of clips of the same SynthGenres genre (the hardest negatives: same
    instruments, tempo range and key set), and, with --real, every pair of 30 s centred excerpts of
    the recordings under DIR (any folder of audio files);
  - duplicates: seeded degraded copies of clips and excerpts (gain with clipping, a later start,
    white noise at 20-40 dB SNR, low-pass, Ogg Vorbis and mp3 re-encoding, 11 kHz resampling, and
    three of these at once); for real recordings also a 30 s excerpt starting 10 s later;
and the end-to-end recall of `near_duplicates` (candidate search + threshold) on each corpus with its
copies mixed in. Prints a summary and writes the arrays to --out (npz) and the summary to JSON.
"""
from __future__ import annotations
import argparse, concurrent.futures, io, json, multiprocessing, os, platform, sys, time
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile as sf
import soxr

from musicnb.audio import load_audio
from musicnb.datasets import (AUDIO_EXTS, NEAR_BER, audit, fingerprint, fingerprint_ber, near_duplicates, scan, _audit_track)
from musicnb.synth import make_synthgenres

SR = 16000


def synth_corpus(work:Path, per_genre:int, difficulty:float=0.0) -> Path:
    return make_synthgenres(work/f'synth{per_genre * 10}-d{difficulty:g}', per_genre=per_genre, seconds=3.0, seed=0,
                            n_jobs=2, difficulty=difficulty)


def timed(f, *a, **kw):
    t = time.perf_counter(); r = f(*a, **kw); return r, time.perf_counter() - t


def cmd_time(args):
    root = synth_corpus(Path(args.work), args.per_genre)
    for p in sorted(Path(root).rglob('*.wav')): p.read_bytes()            # warm the file cache: time the work, not the disk
    _audit_track(str(next(Path(root).rglob('*.wav'))))                     # and the imports
    m, t_header = timed(scan, root, 'synth')
    a, t_audit = timed(audit, m, n_jobs=args.jobs)
    paths = list(m.tracks['path'])
    _, t_serial = timed(lambda: [_audit_track(p) for p in paths])
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex: fps, t_threads = timed(lambda: list(ex.map(_audit_track, paths)))
    def procs():
        with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context('spawn')) as ex:
            return list(ex.map(_audit_track, paths, chunksize=max(1, len(paths) // (8 * args.jobs))))
    _, t_procs = timed(procs)
    _, t_near = timed(near_duplicates, [r['fp'] for r in fps])
    res = dict(tracks=len(m), cpus=os.cpu_count(), load_avg=os.getloadavg(), jobs=args.jobs, header_scan_s=t_header,
               audit_s=t_audit, decode_serial_s=t_serial, decode_threads_s=t_threads, decode_processes_s=t_procs,
               near_search_s=t_near, duplicates=len(a.extra['duplicates']), python=platform.python_version())
    print(f"{len(m)} SynthGenres clips of 3 s, {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f})")
    print(f"  header-only scan (--fast, train)      {t_header:7.2f} s")
    print(f"  decoding audit (musicnb scan), {args.jobs} thr  {t_audit:7.2f} s   ({len(a.extra['duplicates'])} duplicate pairs)")
    print(f"    decode + hash + fingerprint: serial {t_serial:.2f} s, {args.jobs} threads {t_threads:.2f} s, "
          f"{args.jobs} spawned processes {t_procs:.2f} s")
    print(f"    near-duplicate search                {t_near:7.2f} s")
    return res


# --- degraded copies ---------------------------------------------------------------------------------------------
def _codec(x, fmt, subtype, level):
    b = io.BytesIO(); sf.write(b, x, SR, format=fmt, subtype=subtype, compression_level=level); b.seek(0)
    return sf.read(b, dtype='float32')[0]

def degradations(max_shift:float):
    "name -> f(x, rng): a copy of `x` (16 kHz) that a listener would call the same recording."
    def noise(x, rng):
        snr = rng.uniform(20, 40); return x + rng.normal(0, np.sqrt(np.mean(x**2) / 10**(snr / 10)), len(x))
    d = {'gain': lambda x, rng: np.clip(x * 10**(rng.uniform(-12, 9) / 20), -1, 1),
         'shift': lambda x, rng: x[int(rng.uniform(0.05, max_shift) * SR):],
         'noise': noise,
         'lowpass': lambda x, rng: scipy.signal.sosfilt(scipy.signal.butter(6, rng.uniform(2500, 6000), fs=SR, output='sos'), x),
         'ogg': lambda x, rng: _codec(x, 'OGG', 'VORBIS', rng.uniform(0.3, 0.9)),
         'resample': lambda x, rng: soxr.resample(soxr.resample(x, SR, 11025), 11025, SR)}
    if 'MP3' in sf.available_formats(): d['mp3'] = lambda x, rng: _codec(x, 'MP3', 'MPEG_LAYER_III', rng.uniform(0.3, 0.95))
    def combo(x, rng):
        for k in rng.choice([k for k in d if k != 'combo'], 3, replace=False): x = d[k](np.asarray(x, np.float32), rng)
        return x
    d['combo'] = combo
    return d

def copies(clips:list, every:int, max_shift:float, seed:int=0) -> list[tuple[int, str, np.ndarray]]:
    "(index of the original, degradation, copy) for every `every`-th clip; a clip is looped so a later start keeps its length."
    out, rng = [], np.random.default_rng(seed)
    for i in range(0, len(clips), every):
        x = clips[i]
        for name, f in degradations(max_shift).items():
            src = np.concatenate([x, x]) if name in ('shift', 'combo') else x
            y = np.asarray(f(src.astype(np.float32), rng), np.float32)[:len(x)]
            out.append((i, name, y))
    return out


def same_group_bers(fps, groups) -> np.ndarray:
    g = np.asarray(groups); out = []
    for lab in np.unique(g):
        idx = np.flatnonzero(g == lab)
        out += [fingerprint_ber(fps[a], fps[b])[0] for k, a in enumerate(idx) for b in idx[k + 1:]]
    return np.array(out)

def recall(fps, cps) -> dict:
    "Run `near_duplicates` on originals + copies: share of copies paired with their original, and unrelated pairs found."
    n = len(fps); allf = fps + [fingerprint(y) for _, _, y in cps]
    found = {(i, j) for i, j, *_ in near_duplicates(allf)}
    owner = list(range(n)) + [i for i, _, _ in cps]
    hit = [(owner[n + k], n + k) in found for k in range(len(cps))]
    false = [(i, j) for i, j in found if owner[i] != owner[j]]
    return dict(recall=float(np.mean(hit)), missed=[cps[k][1] for k, h in enumerate(hit) if not h], false_pairs=len(false))

def describe(v:np.ndarray) -> dict:
    return dict(n=len(v), min=float(v.min()), max=float(v.max()), p01=float(np.percentile(v, 0.1)), p1=float(np.percentile(v, 1)),
                median=float(np.median(v)))


def cmd_threshold(args):
    out, arrays = {}, {}
    for diff in (0.0, 1.0):
        root = synth_corpus(Path(args.work), args.per_genre, diff)
        m = scan(root, 'synth', split='none')
        clips = [load_audio(p) for p in m.tracks['path']]
        fps = [fingerprint(x) for x in clips]
        t = time.perf_counter(); neg = same_group_bers(fps, m.tracks['label']); t_neg = time.perf_counter() - t
        cps = copies(clips, every=max(1, len(clips) // 100), max_shift=0.75)
        pos = {}
        for i, name, y in cps: pos.setdefault(name, []).append(fingerprint_ber(fps[i], fingerprint(y))[0])
        key = f'synth_d{diff:g}'
        out[key] = dict(negatives=describe(neg), negatives_s=t_neg, copies={k: describe(np.array(v)) for k, v in pos.items()},
                        **recall(fps, cps))
        arrays[f'{key}_neg'] = neg; arrays[f'{key}_pos'] = np.concatenate([np.array(v) for v in pos.values()])
    if args.real:
        files = sorted(p for p in Path(args.real).rglob('*') if p.suffix.lower() in AUDIO_EXTS and not p.name.startswith('.'))
        ex = []
        for p in files:
            i = sf.info(str(p)); dur = i.frames / i.samplerate
            ex.append(load_audio(p, offset=max(0.0, (dur - 40) / 2), duration=min(40.0, dur)))   # 40 s: 30 s + room for shifts
        base = [x[:30 * SR] for x in ex]
        fps = [fingerprint(x) for x in base]
        t = time.perf_counter()
        neg = np.array([fingerprint_ber(fps[a], fps[b])[0] for a in range(len(fps)) for b in range(a + 1, len(fps))])
        t_neg = time.perf_counter() - t
        pairs = [(a, b) for a in range(len(fps)) for b in range(a + 1, len(fps))]
        closest = sorted(zip(neg, pairs))[:5]
        cps = copies(base, every=max(1, len(base) // 48), max_shift=5.0, seed=1)
        cps += [(i, 'excerpt+10s', ex[i][10 * SR:40 * SR]) for i in range(0, len(ex), max(1, len(ex) // 48)) if len(ex[i]) >= 40 * SR]
        pos = {}
        for i, name, y in cps: pos.setdefault(name, []).append(fingerprint_ber(fps[i], fingerprint(y))[0])
        out['real'] = dict(tracks=len(files), negatives=describe(neg), negatives_s=t_neg,
                           closest=[dict(ber=float(v), a=str(files[a].relative_to(args.real)), b=str(files[b].relative_to(args.real))) for v, (a, b) in closest],
                           copies={k: describe(np.array(v)) for k, v in pos.items()}, **recall(fps, cps))
        arrays['real_neg'] = neg; arrays['real_pos'] = np.concatenate([np.array(v) for v in pos.values()])
    out['NEAR_BER'] = NEAR_BER
    for k, v in out.items():
        if not isinstance(v, dict): continue
        print(f"{k}: non-duplicates {v['negatives']['n']} pairs, BER min {v['negatives']['min']:.3f}, 0.1 % {v['negatives']['p01']:.3f}, "
              f"median {v['negatives']['median']:.3f}")
        print("   copies, max BER: " + ', '.join(f"{n} {d['max']:.3f}" for n, d in v['copies'].items()))
        print(f"   near_duplicates: recall {v['recall']:.3f} (missed: {', '.join(v['missed']) or 'none'}), unrelated pairs found {v['false_pairs']}")
        if 'closest' in v: print('   closest non-duplicates: ' + '; '.join(f"{c['a']} ~ {c['b']} {c['ber']:.3f}" for c in v['closest'][:3]))
    if args.out: np.savez(args.out, **arrays)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('what', choices=('time', 'threshold'))
    p.add_argument('--work', default='/tmp/musicnb-bench-scan', help='where the SynthGenres corpora are written (reused)')
    p.add_argument('--per-genre', type=int, default=100, help='SynthGenres clips per genre (10 genres)')
    p.add_argument('--jobs', type=int, default=os.cpu_count() or 1, help='threads / processes for decoding')
    p.add_argument('--real', type=Path, default=None, help='threshold: a folder of real recordings')
    p.add_argument('--out', default=None, help='threshold: write the BER arrays here (.npz)')
    p.add_argument('--json', default=None, help='write the results here')
    args = p.parse_args(argv)
    res = cmd_time(args) if args.what == 'time' else cmd_threshold(args)
    if args.json: Path(args.json).write_text(json.dumps(res, indent=1, default=float))


if __name__ == '__main__':
    sys.exit(main())
