"""Extractor checks that do not fit the notebook: checkpoints as old tools wrote them, the optional dependency,
and the real downloaded checkpoints when a user points MUSICNB_WEIGHTS at the folder that holds them."""
import os, re, subprocess, sys
from pathlib import Path

import numpy as np
import pytest
import torch

from musicnb.core import MusicnbError
from musicnb.embeddings import load_extractor, read_checkpoint, state_dict_from, embed_waves, logmel_stats

def test_numpy1_pickles_load(tmp_path):
    "PANNs' 2020 checkpoints: legacy torch format, sampler state pickled as NumPy 1 arrays (numpy.core.multiarray)."
    sd = {'fc1.weight': torch.ones(2, 2)}
    torch.save({'iteration': 1, 'model': sd, 'sampler': {'indexes_per_class': [np.arange(3)], 'pointers': np.int64(2)}},
               tmp_path/'new.pth', _use_new_zipfile_serialization=False)
    raw = (tmp_path/'new.pth').read_bytes()
    assert b'numpy._core' in raw or b'numpy.core' in raw
    (tmp_path/'old.pth').write_bytes(raw.replace(b'numpy._core', b'numpy.core'))   # what NumPy 1 wrote
    obj = read_checkpoint(tmp_path/'old.pth', 'PANNs')
    assert obj['sampler']['indexes_per_class'][0].tolist() == [0, 1, 2]
    assert list(state_dict_from(obj)) == ['fc1.weight']

def test_arbitrary_globals_refused(tmp_path):
    "Only array reconstruction is allowed: a file naming another global (here os.system) is refused, not run."
    class Call:
        def __reduce__(self): return (os.system, (f'touch {tmp_path}/ran',))
    torch.save({'w': Call()}, tmp_path/'x.pth')
    with pytest.raises(MusicnbError, match='weights_only=True'): read_checkpoint(tmp_path/'x.pth')
    assert not (tmp_path/'ran').exists()

def test_transformers_imported_lazily():
    code = "import sys, musicnb.embeddings; sys.exit('transformers' in sys.modules)"
    assert subprocess.run([sys.executable, '-c', code]).returncode == 0

OFFICIAL = {'byola-v1': ('AudioNTT2020-BYOLA-64x96d512.pth', 'AudioNTT2020-BYOLA-64x96d1024.pth', 'AudioNTT2020-BYOLA-64x96d2048.pth'),
            'byola-v2': ('AudioNTT2022-BYOLA-64x96d2048.pth',), 'panns-cnn14': ('Cnn14_mAP=0.431.pth',),
            'panns-cnn14-16k': ('Cnn14_16k_mAP=0.438.pth',), 'vggish': ('vggish-10086976.pth',)}
CASES = [(n, f) for n, fs in OFFICIAL.items() for f in fs]

@pytest.mark.parametrize('name,fname', CASES, ids=[f for _, f in CASES])
def test_official_checkpoint(name, fname):
    "A downloaded checkpoint loads unchanged and gives finite embeddings of the documented size."
    folder = os.environ.get('MUSICNB_WEIGHTS')
    if not folder or not (Path(folder)/fname).is_file(): pytest.skip(f'set MUSICNB_WEIGHTS to a folder holding {fname}')
    kw = {}
    if name == 'vggish' and (Path(folder)/'vggish_pca_params-970ea276.pth').is_file(): kw['pca'] = Path(folder)/'vggish_pca_params-970ea276.pth'
    ext = load_extractor(name, Path(folder)/fname, device='cpu', **kw)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 2 * 16000, generator=g) * 0.1
    if name.startswith('byola'): ext.set_norm(*logmel_stats(ext, x, sr=16000))
    e = embed_waves(ext, x, 16000)
    want = {'byola-v2': 3072, 'vggish': 128}.get(name) or (int(re.search(r'd(\d+)\.pth', fname).group(1)) if name == 'byola-v1' else 2048)
    assert e.shape == (2, want) and torch.isfinite(e).all() and e.abs().sum() > 0
