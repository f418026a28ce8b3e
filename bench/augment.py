#!/usr/bin/env python
"""Throughput of musicnb's batched augmentation bank against a per-clip librosa/numpy loop, and SimCLR
pre-training steps per second.

    python bench/augment.py                      # 64 clips of 3 s, batches of 32, device auto
    python bench/augment.py --device cuda --clips 256

Augmentation: pitch + stretch + gain + noise + reverb, every one applied (p = 1), one view per clip.
The batched bank (musicnb.augment.Augmenter) runs on --device; the loop runs per clip on the CPU
(librosa.effects.pitch_shift, librosa.effects.time_stretch, numpy gain and noise, scipy fftconvolve
reverb) with the same parameter values. SimCLR: ConvEncoder (4 conv blocks, 128 mel bands) + projection
head, NT-Xent, Adam, --batch-size clips per step, timed (a) on fixed log-mel inputs (model step only) and
(b) end to end (two views + log-mel front end + masks + model step).
"""
from __future__ import annotations
import argparse, json, math, os, platform, sys, time

import numpy as np
import torch

from musicnb.core import get_device
from musicnb.augment import Augmenter, IRBank, NoiseBank
from musicnb.simclr import ConvEncoder, PretrainConfig, SimCLR, make_augmenter, make_optimizer


def tones(n:int, sr:int, seconds:float, seed:int) -> torch.Tensor:
    "n harmonic tones with random f0, vibrato and brightness: `(n, time)` stand-ins for music clips."
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(int(sr * seconds)) / sr
    f0 = 110 * 2 ** (3 * torch.rand(n, 1, generator=g))
    bright = 0.3 + 2 * torch.rand(n, 1, generator=g)
    ph = 2 * math.pi * f0 * t + 0.3 * torch.sin(2 * math.pi * 5 * t)
    return sum(torch.sin(h * ph) * torch.exp(-h / bright) for h in range(1, 7)) * 0.3


def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)


def leaf_ops(fn) -> int:
    "Operators `fn()` runs that call no other operator (torch.profiler): on a GPU, about one kernel launch each."
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], acc_events=True) as prof: fn()
    return sum(1 for e in prof.events() if e.name.startswith('aten::') and not e.cpu_children)


def bench_batched(aug:Augmenter, clips:torch.Tensor, bs:int, dev, seed:int):
    "Views per second of `aug.forward` over all clips in batches; returns (rate, params logs)."
    g = torch.Generator().manual_seed(seed)
    aug(clips[:bs].to(dev), g); sync(dev)  # warm-up (kernels, FFT plans)
    g = torch.Generator().manual_seed(seed)
    logs = []
    t0 = time.perf_counter()
    for i in range(0, len(clips), bs):
        v, log = aug(clips[i:i + bs].to(dev), g); logs.append(log)
    sync(dev)
    return len(clips) / (time.perf_counter() - t0), logs


def bench_loop(aug:Augmenter, clips:torch.Tensor, logs:list, bs:int, sr:int):
    "Views per second of a per-clip CPU loop (librosa + numpy + scipy) with the batched run's parameters."
    import librosa, scipy.signal
    noise = [s.numpy() for s in aug.augs['noise'].noise.cpu()]; nlen = aug.augs['noise'].lengths.cpu().numpy()
    irs = aug.augs['reverb'].irs.cpu().numpy()
    x_all = clips.numpy(); T = x_all.shape[1]
    t0 = time.perf_counter()
    for i, y in enumerate(x_all):
        p = logs[i // bs]; j = i % bs
        y = librosa.effects.time_stretch(y, rate=1 / float(p['stretch']['factor'][j]))
        y = y[:T] if len(y) >= T else np.pad(y, (0, T - len(y)))
        y = librosa.effects.pitch_shift(y, sr=sr, n_steps=int(p['pitch']['semitones'][j]))
        h = irs[int(p['reverb']['ir'][j])]; w = float(p['reverb']['wet'][j])
        r = scipy.signal.fftconvolve(y, h)[:T]; r *= np.sqrt((y ** 2).mean() / max((r ** 2).mean(), 1e-12))
        y = (1 - w) * y + w * r
        k, o, snr = int(p['noise']['noise'][j]), int(p['noise']['offset'][j]), float(p['noise']['snr'][j])
        n = noise[k][(o + np.arange(T)) % nlen[k]]
        y = y + np.sqrt((y ** 2).mean() / ((n ** 2).mean() * 10 ** (snr / 10))) * n
        y = y * float(p['gain']['gain'][j]) * 10 ** ((-20 - 10 * np.log10(max((y ** 2).mean(), 1e-8))) / 20)
    return len(x_all) / (time.perf_counter() - t0)


def bench_simclr(clips:torch.Tensor, bs:int, dev, steps:int, sr:int, seed:int):
    "SimCLR steps per second: (model step on fixed log-mels, full step with views + front end + masks)."
    from musicnb.features import FeatureConfig, make_frontend
    torch.manual_seed(seed)
    cfg = PretrainConfig.paper_32(batch_size=bs, p=0.8)
    model = SimCLR(ConvEncoder(n_mels=128), head_dim=cfg.head_dim).to(dev).train()
    opt = make_optimizer(model, cfg)
    frontend = make_frontend(FeatureConfig(kind='logmel', sr=sr, n_fft=2048, hop=512, n_mels=128)).to(dev)
    aug = make_augmenter(cfg, sr=sr).to(dev)
    g = torch.Generator().manual_seed(seed)
    x = clips[:bs].to(dev)
    with torch.no_grad(): f1 = frontend(x); f2 = frontend(x.flip(-1))

    def model_step(a, b):
        loss = model.loss(a, b, cfg.temperature); opt.zero_grad(set_to_none=True); loss.backward(); opt.step()

    def full_step(i):
        xb = clips[(torch.arange(bs) + i * bs) % len(clips)].to(dev)
        with torch.no_grad():
            x1, x2, _, _ = aug.two_views(xb, g)
            a, b, _, _ = aug.spec_views(frontend(x1), frontend(x2), g)
        model_step(a, b)

    for _ in range(2): model_step(f1, f2)
    sync(dev); t0 = time.perf_counter()
    for _ in range(steps): model_step(f1, f2)
    sync(dev); model_rate = steps / (time.perf_counter() - t0)
    full_step(0); sync(dev); t0 = time.perf_counter()
    for i in range(steps): full_step(i + 1)
    sync(dev); full_rate = steps / (time.perf_counter() - t0)
    return model_rate, full_rate, tuple(f1.shape[1:])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--clips', type=int, default=64, help='clips augmented by each method (default 64)')
    ap.add_argument('--loop-clips', type=int, default=None, help='clips for the per-clip loop (default: --clips)')
    ap.add_argument('--device', default='auto', help="auto, cpu or cuda")
    ap.add_argument('--batch-size', type=int, default=32, help='clips per batch / per SimCLR step (default 32)')
    ap.add_argument('--seconds', type=float, default=3.0, help='clip length (default 3 s)')
    ap.add_argument('--steps', type=int, default=10, help='SimCLR steps timed (default 10)')
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json', default=None, help='also write the results to this JSON file')
    a = ap.parse_args(argv)
    if a.clips < a.batch_size or a.batch_size < 2: ap.error('need --clips >= --batch-size >= 2')
    if a.threads: torch.set_num_threads(a.threads)
    dev, sr = get_device(a.device), 16000
    clips = tones(a.clips, sr, a.seconds, a.seed)
    load = os.getloadavg() if hasattr(os, 'getloadavg') else (math.nan,) * 3
    print(f"device {dev}{' (' + torch.cuda.get_device_name(dev) + ')' if dev.type == 'cuda' else ''}, "
          f"{os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}, load average {load[0]:.1f} "
          f"(the machine may be shared: rates are indicative)")
    aug = Augmenter(('pitch', 'stretch', 'gain', 'noise', 'reverb'), p=1.0, sr=sr).to(dev)
    rate_b, logs = bench_batched(aug, clips, a.batch_size, dev, a.seed)
    n_loop = min(a.loop_clips or a.clips, a.clips)
    rate_l = bench_loop(aug, clips[:n_loop], logs, a.batch_size, sr)
    print(f"augmentation, {a.seconds:g} s clips, pitch+stretch+gain+noise+reverb:")
    print(f"  batched bank on {dev.type}, batches of {a.batch_size}: {rate_b:8.1f} views/s ({a.clips} clips)")
    print(f"  per-clip CPU loop (librosa/numpy/scipy):  {rate_l:8.1f} views/s ({n_loop} clips)")
    print(f"  ratio batched / loop: {rate_b / rate_l:.1f}x")
    xb = clips[:a.batch_size].to(dev)
    ops_two = leaf_ops(lambda: aug.two_views(xb, torch.Generator().manual_seed(a.seed)))
    ops_one = leaf_ops(lambda: aug(xb, torch.Generator().manual_seed(a.seed)))
    print(f"  operators for two views of a batch: {ops_two} stacked in one call per augmentation, "
          f"{2 * ops_one} as two one-view calls ({2 * ops_one / ops_two:.2f}x)")
    m_rate, f_rate, shape = bench_simclr(clips, a.batch_size, dev, a.steps, sr, a.seed)
    print(f"SimCLR pre-training, ConvEncoder on log-mel {shape}, batch {a.batch_size} (2x{a.batch_size} views), Adam:")
    print(f"  model step only:                       {m_rate:8.2f} steps/s")
    print(f"  full step (views + log-mel + masks):   {f_rate:8.2f} steps/s")
    res = dict(device=str(dev), gpu=torch.cuda.get_device_name(dev) if dev.type == 'cuda' else None, cpus=os.cpu_count(),
               threads=torch.get_num_threads(), load_average=load[0], clips=a.clips, loop_clips=n_loop, seconds=a.seconds,
               batch_size=a.batch_size, two_views_ops=ops_two, one_view_ops=ops_one, batched_views_per_s=rate_b, loop_views_per_s=rate_l, ratio=rate_b / rate_l,
               simclr_model_steps_per_s=m_rate, simclr_full_steps_per_s=f_rate, torch=torch.__version__, python=platform.python_version())
    print(json.dumps(res))
    if a.json:
        from musicnb.core import save_json
        save_json(res, a.json)
    return res


if __name__ == '__main__':
    main()
