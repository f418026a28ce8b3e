"""Embedding a corpus: musicnb's batched, cached pipeline against a per-clip loop in the style of paper 2's scripts.

The paper's public scripts embed a dataset one file at a time: `librosa.load(path, sr=16000,
duration=10)`, then the model on that one clip (`model(x[None])`), file after file. musicnb's
`embed_corpus` decodes every file once into the segment cache (soundfile + soxr, in worker
processes for large corpora), then runs the extractor on batches of windows on the device, and
caches the result: a second run reads it back.

This runs both on the same `--clips` synthetic 30 s WAV files at 22.05 kHz (a 10-genre SynthGenres
corpus rendered at that rate), with the same extractor (`--extractor`, random weights: the speed does
not depend on the values), and prints clips/s for

1. the per-clip loop (decode with librosa, embed one clip at a time);
2. musicnb, cold cache (decode, resample, embed in batches of `--batch-size`);
3. musicnb, warm cache (the same command again);

and how far apart the two sides' embeddings are (cosine similarity per clip: both read the first 10 s
at 16 kHz, but librosa and musicnb resample with different soxr settings). Not a test.

    python bench/embed.py --clips 64 --extractor byola-v1 --device auto
"""
from __future__ import annotations
import argparse, os, platform, shutil, sys, tempfile, time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch


def make_corpus(root:Path, n:int, sr:int=22050, seconds:float=30.0) -> list[Path]:
    "`n` clips of SynthGenres music at `sr` in the folder layout `<genre>/<i>.wav`."
    from musicnb.synth import GENRES, synth_clip
    paths = []
    for i in range(n):
        g = GENRES[i % len(GENRES)].name
        (root/g).mkdir(parents=True, exist_ok=True)
        p = root/g/f'{i:04d}.wav'
        sf.write(p, synth_clip(g, seconds, sr, rng=i).astype(np.float32), sr, subtype='PCM_16')
        paths.append(p)
    return paths

def per_clip_loop(ext, paths, seconds:float=10.0) -> tuple[np.ndarray, float]:
    "The scripts' way: librosa decode + resample, then the model on one clip, file after file."
    import librosa
    out, t0 = [], time.perf_counter()
    dev = next(ext.buffers()).device
    with torch.no_grad():
        for p in paths:
            y, _ = librosa.load(p, sr=ext.sample_rate, duration=seconds)
            out.append(ext(torch.from_numpy(y)[None].to(dev)).cpu().numpy()[0])
    return np.stack(out), time.perf_counter() - t0

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--clips', type=int, default=64)
    ap.add_argument('--extractor', default='byola-v1', help='any name musicnb.embeddings.load_extractor takes')
    ap.add_argument('--batch-size', type=int, default=16)
    ap.add_argument('--device', default='auto')
    a = ap.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix='musicnb-bench-embed-'))
    os.environ['MUSICNB_CACHE'] = str(root/'cache')
    os.environ.setdefault('MUSICNB_PROGRESS', '0')
    try:
        from musicnb.core import get_device
        from musicnb.embed import EmbedConfig, embed_corpus, needs_norm
        from musicnb.embeddings import load_extractor
        paths = make_corpus(root/'corpus', a.clips)
        dev = get_device(a.device)
        opts = dict(seed=0, **({'d': 2048} if a.extractor == 'byola-v1' else {}))
        ext = load_extractor(a.extractor, 'random', device=dev, **opts)
        norm = (-5.0, 4.0) if needs_norm(ext) else None        # fixed statistics, so that both sides use the same
        if norm: ext.set_norm(*norm)
        ext(torch.zeros(1, ext.sample_rate, device=dev))       # warm-up (CUDA context, kernels)
        ref, t_loop = per_clip_loop(ext, paths)
        cfg = EmbedConfig(a.extractor, 'random', options=opts, data=str(root/'corpus'), layout='folder', split='random80',
                          clip_seconds=10.0, excerpt='first', window_seconds=10.0, batch_size=a.batch_size, device=str(dev), norm=norm)
        t = time.perf_counter(); es = embed_corpus(cfg, verbose=False); t_cold = time.perf_counter() - t
        t = time.perf_counter(); embed_corpus(cfg, verbose=False); t_warm = time.perf_counter() - t
        order = {Path(p).relative_to(root/'corpus').with_suffix('').as_posix(): i for i, p in enumerate(paths)}
        mine = es.X[np.argsort([order[t] for t in es.tracks['track_id']])]
        cos = (mine * ref).sum(1) / (np.linalg.norm(mine, axis=1) * np.linalg.norm(ref, axis=1))
        name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'{platform.machine()} CPU, {os.cpu_count()} cores'
        n = len(paths)
        print(f"{a.extractor} (random weights, {ext.dim}-d) on {n} clips of 30 s at 22.05 kHz, first 10 s at {ext.sample_rate} Hz; {name}")
        print(f"  per-clip loop (librosa.load + model on one clip): {n / t_loop:7.1f} clips/s  ({t_loop:.1f} s)")
        print(f"  musicnb embed, cold cache (batch {a.batch_size}):          {n / t_cold:7.1f} clips/s  ({t_cold:.1f} s)  {t_loop / t_cold:.1f}x")
        print(f"  musicnb embed, warm cache:                       {n / t_warm:7.1f} clips/s  ({t_warm:.1f} s)  {t_loop / t_warm:.0f}x")
        print(f"  cosine similarity of the two sides' embeddings: min {cos.min():.4f}, median {np.median(cos):.4f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)

if __name__ == '__main__': main()
