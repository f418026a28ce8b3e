"""What checking a cache entry costs: musicnb's checksum verification against reading the entry once.

Every cache entry (decoded segments, features, handcrafted features, embeddings) is verified each
time it is opened: each file's size, then its XXH3-128 checksum (`musicnb.core.check_folder`). This
measures that cost on a GTZAN-sized segment entry: 1000 tracks × 30 s at 16 kHz = 10,000 segments of
3 s, float32, 1.92 GB (`--tracks`, `--seconds` change the size), against

- one pass of reading the same array (memory-mapped, as `load_segments` gives it to training; a
  float32 sum touches every page), i.e. the least one training epoch has to do with the entry;
- SHA-256 of the same bytes (`hashlib`), the obvious alternative to XXH3.

Each timing is the best of `--repeats`, with the file in the page cache (a warm read, the usual case
when the same entry is opened run after run); `--cold` first asks the kernel to drop the file's pages
(posix_fadvise DONTNEED), for the first open after a reboot, where the disk dominates both sides.
Not a test: the ratios are printed, nothing is asserted.

    python bench/cache.py                # 1.92 GB entry in a temporary folder (needs ~2 GB of disk)
    python bench/cache.py --tracks 100   # a smaller one
"""
from __future__ import annotations
import argparse, hashlib, os, platform, shutil, sys, tempfile, time
from pathlib import Path

import numpy as np


def build_entry(folder:Path, n_segments:int, seg_len:int, seed:int=0) -> Path:
    "An entry like load_segments writes: audio.npy (n_segments, seg_len) float32 of noise, plus index files; sealed."
    from musicnb.core import save_json, seal_folder
    folder.mkdir(parents=True)
    audio = np.lib.format.open_memmap(folder/'audio.npy', mode='w+', dtype=np.float32, shape=(n_segments, seg_len))
    rng = np.random.default_rng(seed)
    for i in range(0, n_segments, 500): audio[i:i+500] = rng.standard_normal((min(500, n_segments - i), seg_len), dtype=np.float32)
    audio.flush(); del audio
    np.save(folder/'track_index.npy', np.repeat(np.arange(n_segments // 10), 10))
    save_json(dict(n_segments=n_segments, seg_len=seg_len), folder/'index.json')
    t = time.perf_counter(); seal_folder(folder)
    return time.perf_counter() - t

def drop_pages(folder:Path):
    for p in folder.iterdir():
        with open(p, 'rb') as f: os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)

def best(fn, repeats:int, before=None) -> float:
    times = []
    for _ in range(repeats):
        if before: before()
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return min(times)

def read_once(folder:Path):
    x = np.load(folder/'audio.npy', mmap_mode='r')
    for i in range(0, len(x), 1000): float(x[i:i+1000].sum(dtype=np.float32))

def sha256(folder:Path):
    h = hashlib.sha256()
    with open(folder/'audio.npy', 'rb') as f:
        while chunk := f.read(1 << 22): h.update(chunk)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tracks', type=int, default=1000, help='tracks of --seconds each (GTZAN: 1000 × 30 s)')
    ap.add_argument('--seconds', type=float, default=30.0)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--cold', action='store_true', help='drop the file from the page cache before each timing')
    ap.add_argument('--dir', type=Path, default=None, help='where to build the entry (default: a temporary folder)')
    a = ap.parse_args(argv)
    from musicnb.core import check_folder
    n_seg, seg_len = int(a.tracks * a.seconds // 3), 48000
    root = Path(tempfile.mkdtemp(dir=a.dir, prefix='musicnb-bench-cache-'))
    try:
        entry = root/'entry'
        seal_s = build_entry(entry, n_seg, seg_len)
        size = sum(p.stat().st_size for p in entry.iterdir())
        before = (lambda: drop_pages(entry)) if a.cold else None
        def verify(): assert check_folder(entry) is None
        t_check = best(verify, a.repeats, before)
        t_read = best(lambda: read_once(entry), a.repeats, before)
        t_sha = best(lambda: sha256(entry), a.repeats, before)
        gb = size / 1e9
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              f"entry {n_seg} segments × {seg_len} samples float32 = {gb:.2f} GB ({'cold' if a.cold else 'warm'} page cache)")
        print(f"  seal (checksums written once, after decoding): {seal_s:6.2f} s")
        print(f"  verify on open (sizes + XXH3-128):             {t_check:6.2f} s  {gb / t_check:5.1f} GB/s")
        print(f"  read the array once (mmap, one pass):          {t_read:6.2f} s  {gb / t_read:5.1f} GB/s")
        print(f"  SHA-256 of the same bytes, for comparison:     {t_sha:6.2f} s  {gb / t_sha:5.1f} GB/s")
        print(f"verification costs {t_check / t_read:.2f}× one read of the entry; XXH3 is {t_sha / t_check:.1f}× faster than SHA-256")
    finally:
        shutil.rmtree(root, ignore_errors=True)

if __name__ == '__main__': main()
