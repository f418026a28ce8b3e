"""`musicnb train` on every supported layout: tiny GTZAN, FMA, MagnaTagATune and folder trees built from SynthGenres audio."""
import csv, json, shutil
import numpy as np, pandas as pd, soundfile as sf
import pytest
from conftest import run_cli

GENRES = ['blues', 'jazz', 'rock']

@pytest.fixture(scope='module')
def clips(synth_root):
    "Eighteen 1 s SynthGenres clips (waveform, sr) from three genres."
    files = sorted((synth_root/'genres_original').rglob('*.wav'))
    by = {}
    for f in files: by.setdefault(f.parent.name, []).append(f)
    return [sf.read(f, dtype='float32') for g in sorted(by)[:3] for f in by[g][:3]] * 2

def _write(path, wave, sr, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == 'MP3' and 'MP3' not in sf.available_formats(): fmt = None   # libsndfile reads by content
    sf.write(path, wave, sr, format=fmt or 'WAV', **({'subtype': 'MPEG_LAYER_III'} if fmt == 'MP3' else {}))

def gtzan_tree(root, clips):
    for i, (w, sr) in enumerate(clips):
        g = GENRES[i % 3]; _write(root/'genres_original'/g/f'{g}.{i // 3:05d}.wav', w, sr)
    return root

def folder_tree(root, clips):
    for i, (w, sr) in enumerate(clips): _write(root/GENRES[i % 3]/'album'/f'take {i}.wav', w, sr)
    return root

def fma_tree(root, clips):
    recs = [(2 + i, 'small', GENRES[i % 3].title(), i % 9, ['training', 'validation', 'test'][(i % 9) // 3]) for i in range(len(clips))]
    cols = pd.MultiIndex.from_tuples([('set', 'subset'), ('track', 'genre_top'), ('artist', 'id'), ('set', 'split')])
    df = pd.DataFrame([r[1:] for r in recs], columns=cols, index=pd.Index([r[0] for r in recs], name='track_id'))
    (root/'fma_metadata').mkdir(parents=True); df.to_csv(root/'fma_metadata'/'tracks.csv')
    for (tid, *_), (w, sr) in zip(recs, clips): t = f'{tid:06d}'; _write(root/'fma_small'/t[:3]/f'{t}.mp3', w, sr, 'MP3')
    return root

def mtat_tree(root, clips):
    tags = ['guitar', 'drums', 'piano', 'slow', 'fast', 'synth']
    rows = []
    for i, (w, sr) in enumerate(clips):
        rel = f'{"0123456789abcccdef"[i]}/artist{i}-album-01-song_{i}-0-29.mp3'   # 12 train (0-b), 3 valid (c), 3 test (d-f)
        _write(root/'mp3'/rel, w, sr, 'MP3')
        on = {tags[i % 3], tags[3 + (i // 3) % 3]}
        rows.append({'clip_id': str(i), **{t: int(t in on) for t in tags}, 'mp3_path': rel})
    pd.DataFrame(rows).to_csv(root/'annotations_final.csv', sep='\t', index=False, quoting=csv.QUOTE_ALL)
    return root

@pytest.mark.parametrize('layout, build, split, model', [
    ('gtzan', gtzan_tree, 'kfold5:0', 'dual-stream'),
    ('folder', folder_tree, 'stratified', 'dual-stream'),
    ('fma', fma_tree, 'official', 'dual-stream'),
    ('mtat', mtat_tree, 'official', 'dual-stream'),
    ('fma', fma_tree, 'official', 'svm'),
])
def test_train_on_layout(tmp_path, clips, layout, build, split, model):
    "A tiny tree of each layout trains, evaluates on its held-out part and writes a complete run folder." 
    root = build(tmp_path/layout, clips)
    out = tmp_path/'run'
    p = run_cli('train', '--data', root, '--layout', layout, '--split', split, '--model', model, '--seconds', 1,
                '--hidden', 8, '--epochs', 1, '--batch-size', 8, '--out', out)
    assert p.returncode == 0, p.stderr
    m = json.loads((out/'metrics.json').read_text())
    assert m['n_test_tracks'] > 0 and 'segment' in m
    preds = pd.read_csv(out/'predictions.csv')
    assert len(preds) == m['n_test_tracks'] and preds['track_id'].is_unique
    if layout == 'mtat': assert 'roc_auc_macro' in m and m['task'] == 'multi-label'
    else: assert 0 <= m['accuracy'] <= 1

def test_too_small_validation_part_is_a_clear_error(tmp_path, clips):
    root = mtat_tree(tmp_path/'mtat', clips)
    ann = pd.read_csv(root/'annotations_final.csv', sep='\t', dtype=str)
    ann = ann[~ann['mp3_path'].str.startswith('c/')].copy()
    ann.iloc[0, ann.columns.get_loc('mp3_path')] = 'c/' + ann.iloc[0]['mp3_path'].split('/', 1)[1]   # one valid clip
    shutil.copy(root/'mp3'/ann.iloc[1]['mp3_path'], (root/'mp3'/'c').mkdir(exist_ok=True) or root/'mp3'/ann.iloc[0]['mp3_path'])
    ann.to_csv(root/'annotations_final.csv', sep='\t', index=False, quoting=csv.QUOTE_ALL)
    p = run_cli('train', '--data', root, '--layout', 'mtat', '--split', 'official', '--seconds', 1, '--hidden', 8,
                '--epochs', 1, '--out', tmp_path/'run')
    assert p.returncode == 2 and 'cannot score the validation part' in p.stderr and 'Traceback' not in p.stderr, p.stderr
