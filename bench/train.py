#!/usr/bin/env python
"""Training throughput of paper 1's supervised models: clips per second of the training step, and where the
time of one step goes (data gather/transfer, feature extraction, model step).

    python bench/train.py                                  # device auto, batch 32, 3 s clips, 10 timed steps
    python bench/train.py --device cuda --steps 50
    python bench/train.py --device cpu --steps 3 --audio synth --models dual-stream,cnn

What is timed is the inner loop of `musicnb.train.fit`, stage by stage, with the models and front ends that
`musicnb.train.build_from_config` makes from a `TrainConfig` (the paper's sizes by default: 256 units, 3 s at
16 kHz, log-mel 128 bands for the frequency stream, 25 ms waveform frames every 10 ms for the time stream):

1. data: pick a batch of clips from a pool held in host memory (as `fit` does on the CPU; on CUDA `fit` keeps
   the whole training set on the GPU, so this stage is then an on-device gather) and move it to the device;
2. features: the model's front end (`musicnb.train.Inputs`: frames and/or log-mel, min-max normalised) on the
   device;
3. model step: forward (bfloat16 autocast on CUDA, as in `fit`), cross-entropy, backward, AdamW step.

Each stage is closed by a device synchronisation, so the shares are real but the total is slightly slower than
an unsynchronised loop. All models are built first and warmed up (`--warmup` untimed steps each); then the
`--steps` timed steps go round robin, one step of each model per round, so that a burst of outside load hits
every model alike. The rate is batch size / median step time (the mean-based rate is printed beside it); the
shares are of the summed stage times. The models use the same pool of clips. The audio
is `--audio random` (white noise at -20 dBFS) or `synth` (SynthGenres clips, all ten genres); the rates do not
depend on the content. torch keeps its default thread count unless `--threads` is given. On a machine shared
with other jobs the numbers are indicative only: the load average is printed with them.
"""
from __future__ import annotations
import argparse, json, math, os, platform, sys, time

import numpy as np
import torch
import torch.nn as nn

from musicnb.core import get_device, set_seed
from musicnb.train import TrainConfig, build_from_config, _autocast

MODELS = ('dual-stream', 'time', 'frequency', 'cnn')


def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)


def make_audio(kind:str, n:int, seconds:float, sr:int, seed:int) -> torch.Tensor:
    "A pool of `n` clips `(n, time)` float32: white noise, or SynthGenres clips cycling through the genres."
    if kind == 'random':
        g = torch.Generator().manual_seed(seed)
        return 0.1 * torch.randn(n, int(round(seconds * sr)), generator=g)
    from musicnb.synth import GENRES, synth_clip
    return torch.from_numpy(np.stack([synth_clip(GENRES[i % len(GENRES)], seconds, sr, rng=seed + i) for i in range(n)]))


def make_stepper(name:str, pool:torch.Tensor, a, dev):
    "Build model `name` with its front end and optimiser; return `(step, info)`, where `step()` runs one training step and returns its stage times (s)."
    cfg = TrainConfig(model=name, hidden=a.hidden, seconds=a.seconds, batch_size=a.batch_size, device=str(dev))
    gen = set_seed(a.seed)
    model, inputs = build_from_config(cfg, a.classes, pool.shape[1])
    model.to(dev).train(); inputs.to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    y_pool = torch.randint(0, a.classes, (len(pool),), generator=gen)

    def step() -> dict:
        idx = torch.randint(0, len(pool), (a.batch_size,), generator=gen)
        sync(dev); t0 = time.perf_counter()
        xb = pool[idx].to(dev, torch.float32, non_blocking=True); yb = y_pool[idx].to(dev)
        sync(dev); t1 = time.perf_counter()
        feats = inputs(xb)
        sync(dev); t2 = time.perf_counter()
        with _autocast(dev, cfg.amp): logits = model(*feats)
        loss = loss_fn(logits.float(), yb)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        sync(dev); t3 = time.perf_counter()
        return {'data': t1 - t0, 'features': t2 - t1, 'model': t3 - t2}

    info = dict(model=name, params=sum(p.numel() for p in model.parameters()),
                inputs={k: tuple(v) for k, v in inputs.shapes(pool.shape[1]).items()})
    return step, info


def summarise(info:dict, times:list[dict], batch_size:int) -> dict:
    "Rates and shares from per-step stage times: the median step (robust to bursts of competing load) and the mean."
    tot = np.array([sum(t.values()) for t in times])
    stage = {k: np.array([t[k] for t in times]) for k in ('data', 'features', 'model')}
    med = {k: float(np.median(v)) for k, v in stage.items()}
    return dict(**info, clips_per_s=batch_size / float(np.median(tot)), clips_per_s_mean=batch_size * len(tot) / float(tot.sum()),
                step_ms=1000 * float(np.median(tot)), **{f'{k}_ms': 1000 * v for k, v in med.items()},
                **{f'{k}_share': float(stage[k].sum() / tot.sum()) for k in stage}, steps=len(tot))


def table(rows:list[dict]) -> str:
    head = f"{'model':<12} {'params':>10} {'clips/s':>9} {'(mean)':>8} {'step ms':>9} {'data':>7} {'features':>9} {'model':>7}"
    lines = [head, '-' * len(head)]
    for r in rows:
        lines.append(f"{r['model']:<12} {r['params']:>10,} {r['clips_per_s']:>9.1f} {r['clips_per_s_mean']:>8.1f} {r['step_ms']:>9.1f} "
                     f"{100 * r['data_share']:>6.1f}% {100 * r['features_share']:>8.1f}% {100 * r['model_share']:>6.1f}%")
    return '\n'.join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default='auto', help='auto, cpu or cuda')
    ap.add_argument('--steps', type=int, default=10, help='timed training steps per model (default 10)')
    ap.add_argument('--warmup', type=int, default=2, help='untimed steps first (default 2)')
    ap.add_argument('--batch-size', type=int, default=32, help='clips per step (default 32, the paper)')
    ap.add_argument('--seconds', type=float, default=3.0, help='clip length (default 3 s, the paper)')
    ap.add_argument('--hidden', type=int, default=256, help='stream width (default 256, the paper)')
    ap.add_argument('--classes', type=int, default=10, help='output classes (default 10)')
    ap.add_argument('--models', default=','.join(MODELS), help=f"comma-separated, from {', '.join(MODELS)}, crnn")
    ap.add_argument('--audio', choices=('random', 'synth'), default='random', help='clip content (default random noise)')
    ap.add_argument('--pool', type=int, default=None, help='clips held in memory to draw batches from (default 4 × batch)')
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json', default=None, help='also write the results to this JSON file')
    a = ap.parse_args(argv)
    models = [m.strip() for m in a.models.split(',') if m.strip()]
    bad = [m for m in models if m not in MODELS + ('crnn',)]
    if bad: ap.error(f"unknown model(s) {bad}: choose from {', '.join(MODELS + ('crnn',))}")
    if a.steps < 1 or a.warmup < 0 or a.batch_size < 1: ap.error('need --steps >= 1, --warmup >= 0, --batch-size >= 1')
    if a.threads: torch.set_num_threads(a.threads)
    dev, sr = get_device(a.device), 16000
    pool = make_audio(a.audio, a.pool or 4 * a.batch_size, a.seconds, sr, a.seed)
    load = os.getloadavg() if hasattr(os, 'getloadavg') else (math.nan,) * 3
    try: cpus = len(os.sched_getaffinity(0))
    except AttributeError: cpus = os.cpu_count()
    print(f"device {dev}{' (' + torch.cuda.get_device_name(dev) + ')' if dev.type == 'cuda' else ''}, {cpus} usable CPUs, "
          f"torch threads {torch.get_num_threads()}, load average {load[0]:.1f} before the run (a shared machine makes rates indicative)")
    print(f"training step: batch {a.batch_size}, {a.seconds:g} s clips at {sr} Hz ({a.audio} audio), hidden {a.hidden}, "
          f"{a.warmup} warm-up + {a.steps} timed steps per model{', bfloat16 autocast' if dev.type == 'cuda' else ', float32'}")
    steppers = [make_stepper(m, pool, a, dev) for m in models]
    for step, _ in steppers:
        for _ in range(a.warmup): step()
    times = [[] for _ in models]
    for i in range(a.steps):                 # round robin: a burst of outside load hits every model alike
        for j, (step, _) in enumerate(steppers): times[j].append(step())
        print(f"  round {i + 1}/{a.steps}: " + ', '.join(f"{m} {1000 * sum(t[-1].values()):.0f} ms" for m, t in zip(models, times)),
              file=sys.stderr, flush=True)
    rows = [summarise(info, t, a.batch_size) for (_, info), t in zip(steppers, times)]
    print(table(rows))
    by = {r['model']: r for r in rows}
    if 'dual-stream' in by:
        print('throughput ratios (how many times faster than the dual-stream network):')
        for m in models:
            if m != 'dual-stream': print(f"  {m:<12} {by[m]['clips_per_s'] / by['dual-stream']['clips_per_s']:6.2f}x")
        if 'time' in by and 'frequency' in by:
            d = by['dual-stream']['step_ms']; s = by['time']['step_ms'] + by['frequency']['step_ms']
            print(f"  dual-stream step vs time step + frequency step: {d:.1f} ms vs {s:.1f} ms ({d / s:.2f}x)")
    res = dict(device=str(dev), gpu=torch.cuda.get_device_name(dev) if dev.type == 'cuda' else None, cpus=cpus,
               threads=torch.get_num_threads(), load_average=load[0], batch_size=a.batch_size, seconds=a.seconds,
               hidden=a.hidden, steps=a.steps, warmup=a.warmup, audio=a.audio, results=rows,
               torch=torch.__version__, python=platform.python_version())
    if a.json:
        from musicnb.core import save_json
        save_json(res, a.json)
    return res


if __name__ == '__main__':
    main()
