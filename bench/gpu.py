"""Throughput of each stage of paper 1 on one device, and the wall time of the whole reproduction it projects.

Measured on synthetic audio at GTZAN scale (`--clips` 3 s segments, default 10,000 = 1000 tracks × 30 s,
resident on the device as the training loop keeps them), with musicnb's own code paths:

1. supervised dual-stream training (paper 1 §3.1: LSTM time stream on a learned filterbank + log-mel CNN,
   learned α; batch 32; AdamW; bfloat16 autocast on CUDA): training clips/s through `musicnb.train.Learner`,
   and validation (prediction) clips/s;
2. SimCLR pre-training (§3.2, `PretrainConfig.paper_32`: the full augmentation bank, batch 64):
   clips/s through `musicnb.simclr.pretrain` (two augmented views per clip);
3. the linear probe's embedding pass (frozen encoder): clips/s;
4. fine-tuning the SimCLR encoder with a linear layer (batch 32): clips/s.

Options measured on and off: `--compile` (torch.compile of the model), `--channels-last` (convolution
weights in NHWC), `--fp32` (training without bfloat16 autocast), `--cuda-graph` (each training step replayed
from one captured CUDA graph: `musicnb.train.StepGraph`). GPU memory is the peak allocated by each stage. `--concurrent N` also trains the
dual-stream network in N processes at once on the same device (as `musicnb experiment NAME --jobs N`
does with grid cells when there are fewer GPUs than jobs) and reports their summed throughput: a small
model at batch 32 leaves most of a large GPU idle, so several runs can share it. Then the plan of the full
reproduction (Tables 3–5, the ablations, Figs. 6–10: every run of the experiment notebooks with
QUICK = False, at the paper's maximum epochs, no early stopping) is divided by the measured
throughputs: a projection, printed with its plan, not a measurement of the whole. The same rates also
project the one experiment the paper timed (24 h on a V100: one SimCLR pre-training and one fine-tuning on
GTZAN), which is the like-for-like comparison with the paper's figure.

    python bench/gpu.py                    # on the GPU (auto), 10,000 clips
    python bench/gpu.py --concurrent 4     # also: four dual-stream trainings at once on the same GPU
    python bench/gpu.py --streams 4        # also: four in one process, each on a CUDA stream of its own
    python bench/gpu.py --smoke --device cpu   # a tiny CPU run that checks the script (the test suite runs it)
    python bench/gpu.py --profile 10       # where a dual-stream and a SimCLR step spend their time, and a CUDA-graph step
    python bench/gpu.py --rates-from bench/results/h100-2026-11-27/gpu_eager.json   # project again from recorded rates
"""
from __future__ import annotations
import argparse, contextlib, dataclasses, json, math, os, platform, sys, time
from pathlib import Path

import torch
import torch.nn.functional as F

SR, SECONDS = 16000, 3.0

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize()

def peak_reset(dev):
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats()

def peak_gb(dev) -> float|None:
    return torch.cuda.max_memory_allocated() / 1e9 if dev.type == 'cuda' else None

def synthetic_audio(n:int, dev, seconds:float, seed:int=0) -> torch.Tensor:
    "`n` clips of band-limited noise with a few tones, on the device: (n, time)."
    g = torch.Generator(device='cpu').manual_seed(seed)
    t = torch.arange(int(seconds * SR)) / SR
    f0 = 110 * 2 ** (torch.randint(0, 36, (n, 1), generator=g) / 12)
    x = 0.3 * torch.sin(2 * math.pi * f0 * t) + 0.05 * torch.randn(n, len(t), generator=g)
    return x.float().to(dev)

def prepare(model, args):
    if args.channels_last: model = model.to(memory_format=torch.channels_last)
    if args.compile: model = torch.compile(model)
    return model

def train_rate(model, inputs, X, y, args, dev, batch_size:int, lr:float, weight_decay:float, amp:bool=True) -> float:
    """Training clips/s of `model` through `musicnb.train.Learner` (AdamW, bfloat16 autocast on CUDA), warm-up steps
    excluded. The clock waits for the device once before the timed steps and once after them, not at every step: the
    loop itself does not wait either, so the CPU prepares a step while the GPU still runs the one before."""
    from musicnb.train import Learner, TensorBatches
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    bs = min(batch_size, max(2, len(X) // (args.warmup + args.steps)))     # the recipe's batch (smaller only for a smoke run)
    data = TensorBatches(X, y, bs, torch.Generator().manual_seed(0), steps=args.warmup + args.steps)
    clock = {}
    class Clock:
        order, learn = 0, None
        def before_batch(self):
            if self.learn.iter == args.warmup: sync(dev); clock['t0'] = time.perf_counter()
        def after_batch(self):
            if self.learn.iter == args.warmup + args.steps - 1: sync(dev); clock['t1'] = time.perf_counter()
    sg = None
    if getattr(args, 'cuda_graph', False):                          # a CPU (smoke) run checks the bookkeeping with the stand-in
        from musicnb.train import StepGraph, cuda_capture, eager_capture
        sg = StepGraph(warmup=min(3, max(args.warmup - 1, 0)), capture=cuda_capture if dev.type == 'cuda' else eager_capture)
    Learner(model, data, lambda lg, yb: F.cross_entropy(lg.float(), yb), opt, [Clock()], inputs=inputs, device=dev, amp=amp,
            step_graph=sg).fit(1)
    return bs * args.steps / (clock['t1'] - clock['t0'])

def dual_stream(args, dev, X, seed:int=0):
    "The paper's recipe and a dual-stream network on the device, seeded: `(TrainConfig, model, inputs)`."
    from musicnb.train import TrainConfig, build_from_config
    cfg = TrainConfig(model='dual-stream', device=str(dev), hidden=args.hidden, amp=not getattr(args, 'fp32', False))
    torch.manual_seed(seed)
    model, inputs = build_from_config(cfg, 10, X.shape[1])
    return cfg, prepare(model.to(dev), args), inputs.to(dev)

def bench_supervised(args, dev, X, y) -> dict:
    "Training and validation clips/s of the dual-stream network with the paper's recipe (batch 32)."
    from musicnb.train import predict
    cfg, model, inputs = dual_stream(args, dev, X)
    peak_reset(dev)
    train_cps = train_rate(model, inputs, X, y, args, dev, cfg.batch_size, cfg.lr, cfg.weight_decay, cfg.amp)
    n_val = min(len(X), 64 * (args.warmup + args.steps))
    predict(model, inputs, X[:64], dev)                                      # warm-up
    sync(dev); t = time.perf_counter(); predict(model, inputs, X[:n_val], dev); sync(dev)
    return dict(train_clips_s=train_cps, predict_clips_s=n_val / (time.perf_counter() - t), peak_gb=peak_gb(dev),
                params_m=sum(p.numel() for p in model.parameters()) / 1e6)

def bench_finetune(args, dev, X, y, enc, fe) -> dict:
    "Fine-tuning clips/s of the SimCLR encoder with a linear layer, end to end (`probe_run(mode='finetune')`'s recipe)."
    import copy
    from musicnb.probe import EncoderClassifier, ProbeConfig
    tc = ProbeConfig.for_mode('finetune').train_config()
    torch.manual_seed(0)
    model = prepare(EncoderClassifier(copy.deepcopy(enc), 10, enc.emb_dim).to(dev), args)
    return dict(finetune_clips_s=train_rate(model, fe.to(dev), X, y, args, dev, tc.batch_size, tc.lr, tc.weight_decay, tc.amp and not args.fp32))

def bench_simclr(args, dev, X) -> dict:
    """SimCLR pre-training clips/s with §3.2's full augmentation bank (two views per clip). The same model pre-trains
    three times: `warmup` steps (kernels, autotuning, compilation), `warmup` steps again and `warmup + steps` steps; the
    difference of the last two, each timed to the device's end, is the time of `steps` steps."""
    from musicnb.probe import build_encoder, encoder_spec
    from musicnb.simclr import PretrainConfig, SimCLR, make_augmenter, pretrain
    torch.manual_seed(0)
    bs = min(64, max(2, len(X) // (args.warmup + args.steps)))                 # §3.2's 64 (smaller only for a smoke run)
    cfg = PretrainConfig.paper_32(batch_size=bs, steps=args.warmup + args.steps, epochs=None, schedule='none', patience=None)
    enc, fe = build_encoder(encoder_spec(seconds=args.seconds))
    model = SimCLR(prepare(enc, args), emb_dim=enc.emb_dim, head_dim=cfg.head_dim)
    aug = make_augmenter(cfg, sr=SR)
    clips = X[:max(bs, min(len(X), bs * (args.warmup + args.steps)))]
    def timed(steps):
        sync(dev); t = time.perf_counter()
        pretrain(model, clips, dataclasses.replace(cfg, steps=steps), aug, fe, device=str(dev))
        sync(dev); return time.perf_counter() - t
    peak_reset(dev)
    w = max(args.warmup, 1)
    timed(w)
    t_short, t_long = timed(w), timed(w + args.steps)
    return dict(pretrain_clips_s=bs * args.steps / max(t_long - t_short, 1e-9), peak_gb=peak_gb(dev), encoder=enc, frontend=fe)

def bench_probe(args, dev, X, enc, fe) -> dict:
    "Embedding clips/s of a frozen encoder (the linear probe's only expensive pass)."
    from musicnb.probe import embed
    embed(enc, fe, X[:64], dev)
    n = min(len(X), 64 * (args.warmup + args.steps))
    sync(dev); t = time.perf_counter(); embed(enc, fe, X[:n], dev); sync(dev)
    return dict(embed_clips_s=n / (time.perf_counter() - t))

def profile_step(args, dev, X, y, steps:int) -> dict:
    """Where a dual-stream training step spends its time: the step in ms with bfloat16 autocast and without, each
    stream's forward and backward alone, then the operators that take most of it (torch.profiler over `steps` steps)."""
    from torch.profiler import ProfilerActivity, profile
    from musicnb.train import _autocast
    cfg, model, inputs = dual_stream(args, dev, X)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    bs = min(cfg.batch_size, len(X))
    xb, yb = X[:bs], y[:bs]
    net = getattr(model, '_orig_mod', model)
    parts = [k for k in ('time_stream', 'freq_stream') if getattr(net, k, None) is not None]
    def step(amp, part=None):
        with _autocast(dev, amp):
            feats = inputs(xb)
            out = model(*feats) if part is None else getattr(net, part)(feats[0 if part == 'time_stream' else 1])
        loss = F.cross_entropy(out.float(), yb) if part is None else out.float().pow(2).mean()
        opt.zero_grad(set_to_none=True); loss.backward()
        if part is None: opt.step()
    def ms(amp, part=None, n=max(3, steps)):
        for _ in range(2): step(amp, part)
        sync(dev); t = time.perf_counter()
        for _ in range(n): step(amp, part)
        sync(dev); return (time.perf_counter() - t) / n * 1e3
    res = dict(step_ms_bf16=ms(True), step_ms_fp32=ms(False), batch=bs)
    for k in parts: res[f'{k}_ms'] = ms(True, k)
    print(f"  one dual-stream training step at batch {bs}: {res['step_ms_bf16']:.1f} ms with bfloat16 autocast, "
          f"{res['step_ms_fp32']:.1f} ms in float32" + (' (autocast is off on the CPU: the two are the same path)' if dev.type != 'cuda' else ''))
    for k in parts: print(f"  its {k.replace('_', ' ')} alone, forward and backward: {res[f'{k}_ms']:.1f} ms")
    res.update(simclr_parts(args, dev, X, max(3, steps)))
    print(f"  one SimCLR step at batch {res['simclr_batch']}: {res['simclr_views_ms']:.1f} ms to make the two views "
          f"(augmentation bank, features, masks), {res['simclr_step_ms']:.1f} ms for the encoder, head, loss and update")
    if 'simclr_views_syncs' in res:
        sy = res['simclr_views_syncs']
        print(f"  making the two views waits for the GPU {sy['total']} times: " + (', '.join(f'{k} ×{v}' for k, v in sy['sites'].items()) or 'never'))
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == 'cuda' else [])
    with profile(activities=acts, acc_events=True) as prof:
        for _ in range(steps): step(True)
        sync(dev)
    key = 'self_cuda_time_total' if dev.type == 'cuda' else 'self_cpu_time_total'
    print(prof.key_averages().table(sort_by=key, row_limit=12, max_name_column_width=48), flush=True)
    if dev.type == 'cuda':                                          # last: a capture that fails may leave the device unusable
        for amp in (False, True):
            name = 'bf16' if amp else 'fp32'
            try: res[f'graph_step_ms_{name}'] = graph_step_ms(args, dev, X, y, amp, max(3, steps))
            except Exception as e:                                   # a capture that fails is a finding, not a crash
                res[f'graph_step_ms_{name}'] = None
                why = (str(e).splitlines() or [''])[0][:200]
                print(f"  the {name} dual-stream step in a CUDA graph: capture failed ({type(e).__name__}: {why})", flush=True)
            else: print(f"  the dual-stream step captured once in a CUDA graph and replayed ({name}): {res[f'graph_step_ms_{name}']:.1f} ms", flush=True)
    return res

def graph_step_ms(args, dev, X, y, amp:bool, n:int) -> float:
    """One dual-stream training step (forward, loss, backward, AdamW update) captured once in a CUDA graph and replayed:
    the host launches one graph instead of the LSTM's thousands of small kernels. Static input buffers are refilled
    before each replay, as a training loop would; autocast runs without its weight cache, as capture requires."""
    cfg, model, inputs = dual_stream(args, dev, X)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, capturable=True)
    bs = min(cfg.batch_size, len(X))
    sx, sy = X[:bs].clone(), y[:bs].clone()
    ac = (lambda: torch.autocast('cuda', dtype=torch.bfloat16, cache_enabled=False)) if amp else contextlib.nullcontext
    def step():
        with ac(): out = model(*inputs(sx))
        loss = F.cross_entropy(out.float(), sy); loss.backward(); opt.step()
        return loss
    side = torch.cuda.Stream(dev); side.wait_stream(torch.cuda.current_stream(dev))
    with torch.cuda.stream(side):                                       # warm-up on a side stream, as capture needs
        for _ in range(3): opt.zero_grad(set_to_none=True); step()
    torch.cuda.current_stream(dev).wait_stream(side)
    from musicnb.train import cuda_capture
    opt.zero_grad(set_to_none=True)
    replay = cuda_capture(step, dev)
    order = torch.randint(0, len(X) - bs + 1, (n + 2,), generator=torch.Generator().manual_seed(0)).tolist()
    for i in order[:2]: sx.copy_(X[i:i + bs]); replay()
    sync(dev); t = time.perf_counter()
    for i in order[2:]: sx.copy_(X[i:i + bs]); sy.copy_(y[i:i + bs]); replay()
    sync(dev); return (time.perf_counter() - t) / n * 1e3

def simclr_parts(args, dev, X, n:int) -> dict:
    """Where a SimCLR pre-training step spends its time: making the two views of a batch (the augmentation bank, the
    front end, the spectrogram masks) and the encoder + head + NT-Xent + update on them, each timed alone."""
    from musicnb.probe import build_encoder, encoder_spec
    from musicnb.simclr import PretrainConfig, SimCLR, make_augmenter, make_optimizer, nt_xent, _batch_len, _cat_views, _features, _spec_masks
    torch.manual_seed(0)
    bs = min(64, len(X))
    cfg = PretrainConfig.paper_32(batch_size=bs, steps=n, epochs=None, schedule='none', patience=None)
    enc, fe = build_encoder(encoder_spec(seconds=args.seconds))
    model = SimCLR(prepare(enc, args), emb_dim=enc.emb_dim, head_dim=cfg.head_dim).to(dev).train()
    aug, fe = make_augmenter(cfg, sr=SR).to(dev), fe.to(dev).eval()
    opt, g, xb = make_optimizer(model, cfg), torch.Generator().manual_seed(0), X[:bs]
    def views():
        with torch.no_grad():
            x1, x2, _, _ = aug.two_views(xb, g)
            return _spec_masks(aug, _features(fe, x1), _features(fe, x2), g, None)
    f1, f2 = views()
    def step():
        _, z = model(_cat_views(f1, f2))
        loss = nt_xent(z[:_batch_len(f1)], z[_batch_len(f1):], cfg.temperature)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    def ms(fn):
        for _ in range(2): fn()
        sync(dev); t = time.perf_counter()
        for _ in range(n): fn()
        sync(dev); return (time.perf_counter() - t) / n * 1e3
    res = dict(simclr_batch=bs, simclr_views_ms=ms(views), simclr_step_ms=ms(step))
    if dev.type == 'cuda':
        try: res['simclr_views_syncs'] = count_syncs(views)
        except Exception as e: print(f"  (could not count the waits: {type(e).__name__}: {e})")
    return res

def count_syncs(fn) -> dict:
    "How often `fn()` makes the CPU wait for the GPU (torch.cuda.set_sync_debug_mode), and where, most frequent first."
    import collections, warnings
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter('always')
        torch.cuda.set_sync_debug_mode('warn')
        try: fn()
        finally: torch.cuda.set_sync_debug_mode('default')
    sites = collections.Counter(f"{Path(w.filename).name}:{w.lineno}" for w in got if 'synchroniz' in str(w.message))
    return dict(total=sum(sites.values()), sites=dict(sites.most_common(8)))

def bench_streams(args, dev, X, y) -> dict:
    """K dual-stream trainings in one process, each with its own model, optimiser and batch order, stepped in turn:
    first all on one CUDA stream (the GPU runs one model's kernels at a time), then each on a CUDA stream of its own
    (the GPU may run the models' kernels side by side: a small model's LSTM leaves most of the device idle). Summed
    training clips/s of each way. On the CPU there are no streams: both ways are the same loop."""
    from musicnb.train import Learner, TensorBatches, TrainLossCB
    K = args.streams
    runs = []
    for k in range(K):
        cfg, model, inputs = dual_stream(args, dev, X, seed=k)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        bs = min(cfg.batch_size, max(2, len(X) // (args.warmup + args.steps)))
        data = TensorBatches(X, y, bs, torch.Generator().manual_seed(k), steps=args.warmup + args.steps)
        learn = Learner(model, data, lambda lg, yb: F.cross_entropy(lg.float(), yb), opt, [TrainLossCB()], inputs=inputs,
                        device=dev, amp=cfg.amp)
        learn.epoch = 0; learn('before_epoch'); learn.model.train()
        runs.append((learn, data))
    streams = [torch.cuda.Stream(dev) for _ in range(K)] if dev.type == 'cuda' else [None] * K
    batches = [list(d.epoch(0)) for _, d in runs]                      # every run's batches, cut once on the default stream
    sync(dev)                                                           # ... before any clock starts
    def rounds(n, own_streams):
        if own_streams and dev.type == 'cuda':
            for st in streams: st.wait_stream(torch.cuda.current_stream(dev))
        for i in range(n):
            for (learn, _), st, b in zip(runs, streams, batches):
                learn.xb_raw, learn.yb_raw = b[i]
                if own_streams and st is not None:
                    with torch.cuda.stream(st): learn._one_batch()
                else: learn._one_batch()
        sync(dev)
        return sum(len(b[i][1]) for b in batches for i in range(n))
    out = {}
    for name, own in (('one_stream', False), ('own_streams', True)):
        rounds(args.warmup, own)
        t = time.perf_counter(); clips = rounds(args.steps, own); out[f'{name}_clips_s'] = clips / (time.perf_counter() - t)
    for learn, _ in runs: learn('after_epoch')                       # the losses were summed on the device: read them once
    out['train_losses'] = [learn.train_loss for learn, _ in runs]
    return dict(streams=K, **out)

def _concurrent_worker(rank:int, args, barrier, queue):
    "One of N simultaneous dual-stream trainings: its own clips, started together with the others."
    from musicnb.core import get_device
    dev = get_device(args.device)
    torch.backends.cudnn.benchmark = dev.type == 'cuda'
    if dev.type == 'cpu': torch.set_num_threads(max(1, (os.cpu_count() or 1) // args.concurrent))
    n = min(args.clips, 64 * (args.warmup + args.steps))
    X = synthetic_audio(n, dev, args.seconds, seed=rank + 1)
    y = torch.randint(0, 10, (n,), generator=torch.Generator().manual_seed(rank + 1)).to(dev)
    barrier.wait(timeout=900)                          # all data made: the trainings start together
    t = time.perf_counter()
    r = bench_supervised(args, dev, X, y)
    queue.put((rank, r['train_clips_s'], time.perf_counter() - t))
    barrier.wait(timeout=3600)                         # none leaves (and frees the device) before the others finish

def bench_concurrent(args) -> dict:
    "Summed training clips/s of `args.concurrent` dual-stream trainings running at once on one device."
    import torch.multiprocessing as mp
    ctx = mp.get_context('spawn')                      # CUDA cannot be shared with forked processes
    barrier, queue = ctx.Barrier(args.concurrent), ctx.Queue()
    procs = [ctx.Process(target=_concurrent_worker, args=(k, args, barrier, queue)) for k in range(args.concurrent)]
    import queue as queue_mod
    for p_ in procs: p_.start()
    got = []
    while len(got) < len(procs):                       # a process that dies stops the measurement, not hangs it
        try: got.append(queue.get(timeout=5))
        except queue_mod.Empty:
            if any(p_.exitcode not in (None, 0) for p_ in procs):
                for p_ in procs: p_.terminate()
                raise RuntimeError(f"a concurrent training process failed (exit codes {[p_.exitcode for p_ in procs]})")
    for p_ in procs: p_.join()
    rates = [r for _, r, _ in sorted(got)]
    return dict(concurrent=args.concurrent, concurrent_train_clips_s=sum(rates), per_process_clips_s=rates)

# The full reproduction, run by run: (what, runs, epochs, clips per epoch, stage). GTZAN random80: 720 training
# tracks × 10 segments = 7200 clips per epoch, 800 validation; MagnaTagATune ("MSD"): about 19,000 training
# clips × 9 segments = 171,000. Epochs are the recipes' maxima (supervised 100, SimCLR paper_32 150, fine-tuning 50).
GTZAN, MTAT = 7200, 171_000
PLAN = [
    ('Table 3: dual-stream, 5 seeds',                         5,   100, GTZAN, 'train'),
    ('Table 4: dual-stream, GTZAN 5 folds',                   5,   100, GTZAN, 'train'),
    ('Table 5: dual-stream, MagnaTagATune',                   1,   100, MTAT,  'train'),
    ('streams: time, frequency, CNN, CRNN × 5 seeds',         20,  100, GTZAN, 'train'),
    ('fusion: 15 variants × 3 seeds',                         45,  100, GTZAN, 'train'),
    ('time cell: LSTM/GRU/TCN × 2 fronts × 3 seeds',          18,  100, GTZAN, 'train'),
    ('GTZAN protocols: 3 × 5 seeds',                          15,  100, GTZAN, 'train'),
    ('Fig. 6: τ (6) × data share (1, .5, .25, .1) pre-training', 6, 150, GTZAN * (1 + .5 + .25 + .1), 'pretrain'),
    ('head width (3) and batch size (3) pre-training',        6,   150, GTZAN, 'pretrain'),
    ('Figs. 7–8: 5 data shares, dual-stream',                 5,   100, GTZAN * 0.55, 'train'),
    ('Figs. 7–8: 5 data shares, SimCLR pre-training',         5,   150, GTZAN * 0.55, 'pretrain'),
    ('Figs. 9–10: 4 features × dual-stream',                  4,   100, GTZAN, 'train'),
    ('Figs. 9–10: 4 features × SimCLR pre-training',          4,   150, GTZAN, 'pretrain'),
    ('augmentation leave-one-out: 8 pre-trainings',           8,   150, GTZAN, 'pretrain'),
    ('probe vs fine-tune: 6 fractions × 3 seeds fine-tuning', 18,  50,  GTZAN * 0.32, 'finetune'),
    ('Tables 4–5, SimCLR: GTZAN 5 folds + MagnaTagATune',     1,   150, 5 * GTZAN + MTAT, 'pretrain'),
    ('linear probes and validation passes (all runs)',        1,   1,   200 * (800 + 7200), 'embed'),
]

# The one experiment paper 1 timed (§4: "about 24 hours, including 16 hours of self-supervised pre-training and
# 8 hours of fine-tuning" on a V100, GTZAN): pre-training with §3.2's recipe, then fine-tuning the encoder for the
# 100 epochs of §4's recipe. Rates recorded before fine-tuning was measured time it at the dual-stream training rate,
# an upper bound: the dual-stream network has an LSTM that the SimCLR encoder has not.
PAPER_TIMED = [
    ('SimCLR pre-training, 150 epochs of GTZAN training segments', 1, 150, GTZAN, 'pretrain'),
    ('fine-tuning the encoder, 100 epochs', 1, 100, GTZAN, 'finetune'),
]

def projection(rates:dict, train_rate:str='train_clips_s', plan:list=PLAN) -> tuple[list, float]:
    "Hours per group of `plan` at `rates`; `train_rate` names the supervised rate to use (one run, or N at once)."
    key = {'train': train_rate, 'pretrain': 'pretrain_clips_s', 'embed': 'embed_clips_s',
           'finetune': 'finetune_clips_s' if 'finetune_clips_s' in rates else 'train_clips_s'}
    rows = [(what, runs * epochs * clips / rates[key[stage]] / 3600) for what, runs, epochs, clips, stage in plan]
    return rows, sum(h for _, h in rows)

def print_projection(rates:dict, concurrent:int=1, streams:int=1):
    "The plan's hours at `rates`, then the experiment the paper timed, then (with N at once) the plan again."
    rows, total = projection(rates)
    print(f"projected wall time of the full reproduction on this device ({len(PLAN)} groups of runs, maximum epochs):")
    for what, h in rows: print(f"  {h:8.2f} h  {what}")
    print(f"  {total:8.2f} h  in all (paper 1 times only one experiment: below)")
    timed, t_total = projection(rates, plan=PAPER_TIMED)
    print("the experiment paper 1 timed (24 h on a V100: 16 h pre-training + 8 h fine-tuning), projected:")
    bound = '' if 'finetune_clips_s' in rates else ' (not measured in this run: at the dual-stream rate, an upper bound)'
    for what, h in timed: print(f"  {h * 60:8.1f} min  {what}{bound if 'fine-tuning' in what else ''}")
    print(f"  {t_total * 60:8.1f} min  in all")
    if concurrent > 1 and 'concurrent_train_clips_s' in rates:
        _, total_c = projection(rates, 'concurrent_train_clips_s')
        print(f"  {total_c:8.2f} h  the full reproduction with the supervised runs {concurrent} at a time (SimCLR and probes as above)")
    if streams > 1 and 'streams_train_clips_s' in rates:
        _, total_s = projection(rates, 'streams_train_clips_s')
        print(f"  {total_s:8.2f} h  the full reproduction with the supervised runs {streams} at a time on CUDA streams of one process")
    return rows, total, timed, t_total

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default='auto')
    ap.add_argument('--clips', type=int, default=10_000, help='3 s clips resident on the device (GTZAN: 10,000)')
    ap.add_argument('--steps', type=int, default=30, help='timed steps per stage')
    ap.add_argument('--warmup', type=int, default=5, help='untimed steps first (kernels, autotuning, compilation)')
    ap.add_argument('--hidden', type=int, default=256, help="the streams' feature size (the paper's 256)")
    ap.add_argument('--seconds', type=float, default=SECONDS, help='clip length (the paper: 3 s segments)')
    ap.add_argument('--compile', action='store_true', help='torch.compile the models')
    ap.add_argument('--channels-last', action='store_true', help='convolution weights in channels-last (NHWC) layout')
    ap.add_argument('--fp32', action='store_true', help='train in float32 (the recipe trains with bfloat16 autocast on CUDA)')
    ap.add_argument('--cuda-graph', action='store_true', help="train by replaying one captured CUDA graph per step (musicnb.train.StepGraph)")
    ap.add_argument('--concurrent', type=int, default=1, help='also train N dual-stream models at once on the device and sum their clips/s')
    ap.add_argument('--streams', type=int, default=1, help='also train N dual-stream models in this process, each on a CUDA stream of its own, and sum their clips/s')
    ap.add_argument('--smoke', action='store_true', help='a tiny run that checks the script (CPU is fine)')
    ap.add_argument('--json', type=Path, default=None, help='also write the numbers here')
    ap.add_argument('--profile', type=int, default=0, metavar='STEPS',
                    help='only profile the dual-stream training step over STEPS steps (bfloat16 and float32, each stream, top operators)')
    ap.add_argument('--rates-from', type=Path, default=None, metavar='JSON',
                    help="measure nothing: project from the rates a run wrote with --json (e.g. bench/results/*/gpu_eager.json)")
    a = ap.parse_args(argv)
    if a.rates_from: return reproject(a.rates_from)
    if a.smoke: a.clips, a.steps, a.warmup, a.hidden, a.seconds = 16, 2, 1, 16, 1.0
    from musicnb.core import get_device
    dev = get_device(a.device)
    torch.backends.cudnn.benchmark = dev.type == 'cuda'
    if dev.type == 'cuda': torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'{platform.machine()} CPU, {os.cpu_count()} cores'
    X = synthetic_audio(a.clips, dev, a.seconds)
    y = torch.randint(0, 10, (a.clips,), generator=torch.Generator().manual_seed(0)).to(dev)
    print(f"{name}; torch {torch.__version__}; {a.clips} clips of {a.seconds:g} s on {dev}"
          f"{'; torch.compile' if a.compile else ''}{'; float32 training' if a.fp32 else ''}{'; CUDA-graph steps' if a.cuda_graph else ''}{'; smoke run: tiny sizes, the numbers mean nothing' if a.smoke else ''}{'; channels-last' if a.channels_last else ''}", flush=True)
    if a.profile:
        r = profile_step(a, dev, X, y, a.profile)
        if a.json: a.json.write_text(json.dumps(dict(device=name, compile=a.compile, channels_last=a.channels_last, profile=r), indent=1))
        return 0
    sup = bench_supervised(a, dev, X, y)
    print(f"  dual-stream training: {sup['train_clips_s']:8.1f} clips/s   prediction: {sup['predict_clips_s']:8.1f} clips/s"
          f"   {sup['params_m']:.2f} M parameters" + (f", peak {sup['peak_gb']:.2f} GB" if sup['peak_gb'] else ''), flush=True)
    sim = bench_simclr(a, dev, X)
    print(f"  SimCLR pre-training:  {sim['pretrain_clips_s']:8.1f} clips/s (two views each, full augmentation bank)"
          + (f", peak {sim['peak_gb']:.2f} GB" if sim['peak_gb'] else ''), flush=True)
    prb = bench_probe(a, dev, X, sim['encoder'], sim['frontend'])
    print(f"  probe embedding pass: {prb['embed_clips_s']:8.1f} clips/s", flush=True)
    ft = bench_finetune(a, dev, X, y, sim['encoder'], sim['frontend'])
    print(f"  fine-tuning the SimCLR encoder: {ft['finetune_clips_s']:8.1f} clips/s (batch 32)", flush=True)
    rates = {**sup, **{k: v for k, v in sim.items() if k.endswith('_s')}, **prb, **ft}
    con = {}
    if a.concurrent > 1:
        con = bench_concurrent(a)
        rates['concurrent_train_clips_s'] = con['concurrent_train_clips_s']
        print(f"  {a.concurrent} dual-stream trainings at once: {con['concurrent_train_clips_s']:8.1f} clips/s in all "
              f"({con['concurrent_train_clips_s'] / sup['train_clips_s']:.2f}x one run; per process "
              + ', '.join(f'{r:.0f}' for r in con['per_process_clips_s']) + ')', flush=True)
    stm = {}
    if a.streams > 1:
        stm = bench_streams(a, dev, X, y)
        rates['streams_train_clips_s'] = stm['own_streams_clips_s']
        print(f"  {a.streams} dual-stream trainings in one process: {stm['one_stream_clips_s']:8.1f} clips/s in all on one CUDA stream, "
              f"{stm['own_streams_clips_s']:8.1f} on {a.streams} streams ({stm['own_streams_clips_s'] / sup['train_clips_s']:.2f}x one run)"
              + ('' if dev.type == 'cuda' else ' (no streams on the CPU: the same loop twice)'), flush=True)
    rows, total, timed, t_total = print_projection(rates, a.concurrent, a.streams)
    if a.json:
        a.json.write_text(json.dumps(dict(device=name, compile=a.compile, channels_last=a.channels_last, fp32=a.fp32, cuda_graph=a.cuda_graph, clips=a.clips,
                                          rates={k: v for k, v in rates.items() if isinstance(v, float)},
                                          peak_gb=dict(train=sup['peak_gb'], pretrain=sim['peak_gb']),
                                          projection_h=dict(rows), total_h=total, paper_timed_h=dict(timed), paper_timed_total_h=t_total,
                                          concurrent=con or None, streams=stm or None,
                                          total_h_streams=projection(rates, 'streams_train_clips_s')[1] if stm else None,
                                          total_h_concurrent=projection(rates, 'concurrent_train_clips_s')[1] if con else None), indent=1))
    return 0

def reproject(path:Path) -> int:
    "Print the projections from the rates recorded in `path` (a `--json` file), without measuring anything."
    try: r = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e: sys.exit(f"gpu.py: cannot read rates from {path}: {e}")
    rates = r.get('rates') or {}
    need = {'train_clips_s', 'pretrain_clips_s', 'embed_clips_s'} - set(rates)
    if need: sys.exit(f"gpu.py: {path} has no {', '.join(sorted(need))} under 'rates': not a file written by gpu.py --json")
    opts = [o for o, on in (('torch.compile', r.get('compile')), ('channels-last', r.get('channels_last')), ('float32 training', r.get('fp32')), ('CUDA-graph steps', r.get('cuda_graph'))) if on]
    print(f"rates recorded in {path}: {r.get('device', 'unknown device')}" + ''.join(f'; {o}' for o in opts))
    print(f"  dual-stream training {rates['train_clips_s']:.1f} clips/s, SimCLR pre-training {rates['pretrain_clips_s']:.1f}, "
          f"probe embedding {rates['embed_clips_s']:.1f}")
    print_projection(rates, (r.get('concurrent') or {}).get('concurrent', 1))
    return 0

if __name__ == '__main__': sys.exit(main())
