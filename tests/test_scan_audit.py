"""`musicnb scan` checks content, and splits that cannot give an honest number are refused: end to end, as a user runs it."""
import json, shutil
from pathlib import Path
import numpy as np, soundfile as sf
import pytest

SR = 16000

def track(path, seed, seconds=4.0, sr=SR, channels=1, subtype='PCM_16', fmt=None):
    "A distinct stand-in track: band-limited noise bursts at a seeded rhythm (every seed has its own fingerprint)."
    rng = np.random.default_rng(seed); n = int(seconds * sr)
    x = np.convolve(rng.normal(0, 0.3, n), np.hanning(9) / 4, 'same') * np.repeat(rng.uniform(0.05, 1, n // 800 + 1), 800)[:n]
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.stack([x] * channels, 1), sr, subtype=subtype, format=fmt)
    return path

def faulty_gtzan(root):
    "genres_original/ with 9 good tracks and every planted fault; returns {fault: file name}."
    g = root/'genres_original'
    for k, genre in enumerate(('blues', 'jazz', 'rock')):
        for i in range(3): track(g/genre/f'{genre}.{i:05d}.wav', seed=10*k + i)
    (g/'jazz'/'jazz.00054.wav').write_bytes(np.random.default_rng(1).bytes(3000))               # corrupt
    full = track(root/'full.wav', seed=99, seconds=30.0).read_bytes(); (root/'full.wav').unlink()
    (g/'rock'/'rock.00010.wav').write_bytes(full[:44 + int(0.07 * SR) * 2])                        # header 30 s, data 0.07 s
    (g/'rock'/'rock.00011.wav').write_bytes(b'')                                                   # empty
    sf.write(g/'blues'/'blues.00010.wav', np.full(3 * SR, np.nan, np.float32), SR, subtype='FLOAT')  # all NaN
    track(g/'jazz'/'jazz.00010.wav', seed=40, subtype='PCM_U8')                                    # 8-bit: usable
    track(g/'blues'/'blues.00011.wav', seed=41, sr=44100, channels=2)                             # stereo 44.1 kHz: usable
    (g/'blues'/'._blues.00000.wav').write_bytes(b'\x00\x05\x16\x07' + bytes(4092))                 # macOS litter: ignored
    shutil.copy(g/'blues'/'blues.00001.wav', g/'rock'/'rock.00012.wav')                           # a duplicated file
    return dict(corrupt='jazz.00054.wav', truncated='rock.00010.wav', empty='rock.00011.wav', nan='blues.00010.wav',
                u8='jazz.00010.wav', stereo='blues.00011.wav', dup=('blues.00001.wav', 'rock.00012.wav'))

def test_scan_counts_only_usable_tracks_and_lists_every_fault(tmp_path, cli):
    f = faulty_gtzan(tmp_path/'gtzan')
    p = cli('scan', tmp_path/'gtzan', '--layout', 'gtzan', '--split', 'random80', '--json')
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s['check'] == 'decode'
    assert s['tracks'] == 9 + 3 and s['labels'] == {'blues': 4, 'jazz': 4, 'rock': 4}   # 9 good + 8-bit + stereo + the copy
    kinds = {Path(d['path']).name: d['kind'] for d in s['skipped']}
    assert kinds == {f['corrupt']: 'undecodable', f['truncated']: 'truncated', f['empty']: 'empty', f['nan']: 'NaN/inf'}, kinds
    assert 'header says 30.00 s' in next(d['reason'] for d in s['skipped'] if d['kind'] == 'truncated')
    assert not any('._' in d['path'] for d in s['skipped'])
    assert [(Path(d['a']).name, Path(d['b']).name, d['kind']) for d in s['duplicates']] == [(*f['dup'], 'exact')]
    assert all(set(d) >= {'a', 'b', 'parts'} and d['parts'][0] != d['parts'][1] for d in s['leaks'])
    text = cli('scan', tmp_path/'gtzan', '--layout', 'gtzan', '--split', 'random80')
    assert text.returncode == 0 and '12 usable tracks' in text.stdout
    for kind in ('undecodable (1)', 'truncated (1)', 'empty (1)', 'NaN/inf (1)', 'duplicates: 1 pair (1 exact, 0 near)'):
        assert kind in text.stdout, (kind, text.stdout)
    for name in (f['corrupt'], f['truncated'], f['empty'], f['nan'], *f['dup']): assert name in text.stdout, name

def test_fast_scan_reads_headers_only(tmp_path, cli):
    f = faulty_gtzan(tmp_path/'gtzan')
    s = json.loads(cli('scan', tmp_path/'gtzan', '--layout', 'gtzan', '--split', 'random80', '--fast', '--json', check=True).stdout)
    assert s['check'] == 'header' and 'duplicates' not in s
    assert s['tracks'] == 13                                               # the NaN file passes a header check
    assert {Path(d['path']).name for d in s['skipped']} == {f['corrupt'], f['truncated'], f['empty']}  # a cut WAV shows in its header

def test_leaks_are_duplicate_pairs_across_parts(tmp_path, cli):
    root = tmp_path/'leaky'
    (root/'b').mkdir(parents=True)
    for i in range(6): shutil.copy(track(root/'a'/f'{i}.wav', seed=i), root/'b'/f'{i}.wav')   # every track of b is one of a
    sf.write(root/'a'/'near.flac', np.clip(1.5 * sf.read(root/'a'/'5.wav')[0][int(0.25 * SR):], -1, 1), SR, subtype='PCM_24')
    s = json.loads(cli('scan', root, '--layout', 'folder', '--json', check=True).stdout)
    kinds = sorted(d['kind'] for d in s['duplicates'])
    assert kinds == ['exact'] * 6 + ['near'] * 2, s['duplicates']        # a/5 = b/5, and a/near is near both
    assert s['leaks'] and all(d['parts'][0] != d['parts'][1] for d in s['leaks'])
    text = cli('scan', root, '--layout', 'folder', check=True).stdout
    assert f"LEAKS: {len(s['leaks'])} duplicate pair" in text, text

def test_one_label_is_refused(tmp_path, cli):
    for i in range(20): track(tmp_path/'one'/'rock'/f'{i}.wav', seed=i, seconds=1.0)
    p = cli('train', '--data', tmp_path/'one', '--layout', 'folder', '--model', 'svm', '--out', tmp_path/'run')   # scan refuses it first
    assert p.returncode == 2 and p.stderr.count('\n') == 1 and 'Traceback' not in p.stderr, p.stderr
    assert "only one label, 'rock' (20 tracks)" in p.stderr and 'at least two labels' in p.stderr
    assert not (tmp_path/'run'/'metrics.json').exists()

def test_label_with_one_track_is_refused(tmp_path, cli):
    for lab, n in (('rock', 10), ('jazz', 10), ('solo', 1)):
        for i in range(n): track(tmp_path/'d'/lab/f'{i}.wav', seed=100 * len(lab) + i, seconds=1.0)
    p = cli('scan', tmp_path/'d', '--layout', 'folder', '--split', 'kfold5:0')      # the notebook tries every split
    assert p.returncode == 2 and p.stderr.count('\n') == 1, p.stderr
    assert "label 'solo' has only 1 track: too few for split 'kfold5:0'" in p.stderr, p.stderr
    p = cli('train', '--data', tmp_path/'d', '--layout', 'folder', '--model', 'svm', '--out', tmp_path/'run')
    assert p.returncode == 2 and "label 'solo'" in p.stderr, p.stderr

def test_train_skips_truncated_files_with_a_reason(tmp_path, cli):
    root = tmp_path/'d'
    for lab in ('rock', 'jazz'):
        for i in range(6): track(root/lab/f'{i}.wav', seed=len(lab) * 10 + i, seconds=3.0)
    long = track(tmp_path/'long.flac', seed=7, seconds=30.0, fmt='FLAC').read_bytes()
    (root/'rock'/'cut.flac').write_bytes(long[:len(long) // 3])             # the header promises 30 s
    sf.write(root/'jazz'/'nan.wav', np.full(3 * SR, np.nan, np.float32), SR, subtype='FLOAT')
    p = cli('train', '--data', root, '--layout', 'folder', '--model', 'svm', '--out', tmp_path/'run', env=dict(MUSICNB_CACHE=str(tmp_path/'cache')))
    assert p.returncode == 0, p.stderr
    skipped = {Path(d['path']).name: d['reason'] for d in json.loads((tmp_path/'run'/'skipped.json').read_text())}
    assert skipped['cut.flac'].startswith('truncated: header says 30.00 s, decoded') and 'NaN' in skipped['nan.wav'], skipped
