"""`musicnb shard` end to end (the library is tested in nbs/16_shards.ipynb): write, reuse, refuse, replace, stream back."""
import json
import numpy as np
import torch
from conftest import run_main


def _shard(root, out, *extra):
    return run_main('shard', '--data', root, '--layout', 'synth', '--split', 'stratified', '--seconds', 1, '--shard-size', 8,
                    '--out', out, *extra)


def test_shard_round_trip(synth_root, tmp_path):
    from musicnb.datasets import scan
    from musicnb.features import load_segments
    from musicnb.shards import ShardBatches, ShardSet
    out = tmp_path/'shards'
    rc, o, e = _shard(synth_root, out, '--keep-order')
    assert rc == 0, e
    assert '30 segments of 1 s at 16000 Hz from 30 tracks' in o and f'-> {out}' in o, o
    ss = ShardSet(out)
    info = json.loads((out/'shards.json').read_text())
    assert info['split_name'] == 'stratified' and info['encoding'] == 'flac' and info['shuffle_seed'] is None
    assert all(s['n_samples'] <= 8 for s in info['shards'])
    segs = load_segments(scan(synth_root, 'synth', split='stratified', seed=42), sr=16000, seconds=1.0, cache=False)
    for part in ('train', 'valid', 'test'):
        mem = segs.subset(part)
        assert list(ss.part(part).track_ids()) == list(mem.track_ids())
        got = list(ShardBatches(ss, part, 4, shuffle=False, workers=0).epoch(0))
        assert torch.equal(torch.cat([x for x, _ in got]), mem.audio)
        assert torch.equal(torch.cat([y for _, y in got]), torch.as_tensor(mem.targets()))


def test_shard_reuse_refuse_replace(synth_root, tmp_path):
    from musicnb.shards import ShardSet
    out = tmp_path/'shards'
    assert _shard(synth_root, out)[0] == 0
    rc, o, e = _shard(synth_root, out)
    assert rc == 0 and 'already holds these shards' in o, (o, e)
    rc, o, e = _shard(synth_root, out, '--encoding', 'int16')
    assert rc == 2 and e.startswith('musicnb: error:') and 'pass --restart' in e and e.count('\n') == 1, e
    rc, o, e = _shard(synth_root, out, '--encoding', 'int16', '--restart')
    assert rc == 0, e
    assert ShardSet(out).info['encoding'] == 'int16'
    (tmp_path/'mine').mkdir(); (tmp_path/'mine'/'notes.txt').write_text('keep me')
    rc, o, e = _shard(synth_root, tmp_path/'mine', '--restart')
    assert rc == 2 and 'holds no shards' in e and (tmp_path/'mine'/'notes.txt').read_text() == 'keep me', e
    rc, o, e = run_main('shard', '--layout', 'gtzan', '--out', tmp_path/'x')
    assert rc == 2 and '--data is required for --layout gtzan' in e, e
