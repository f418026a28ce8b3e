"""Every model variant of `musicnb train` trains and evaluates on tiny data (one epoch, tiny widths)."""
import json
import pytest
from musicnb.train import TrainConfig, train

VARIANTS = [dict(model=m) for m in ('dual-stream', 'time', 'frequency', 'cnn', 'crnn', 'svm')] + \
           [dict(fusion=f) for f in ('late', 'early', 'mid', 'attention')] + \
           [dict(time_cell=c) for c in ('gru', 'tcn')] + \
           [dict(fusion_layer='conv'), dict(alpha=0.5), dict(time_front='raw'), dict(time_front='linear'), dict(spec='stft'), dict(spec='mfcc'), dict(spec='scalogram'),
            dict(model='time', time_cell='tcn'), dict(aggregate='vote'), dict(labels_fraction=0.5)]

@pytest.fixture(scope='module')
def cache(tmp_path_factory):
    import os
    old = os.environ.get('MUSICNB_CACHE'); os.environ['MUSICNB_CACHE'] = str(tmp_path_factory.mktemp('cache'))
    yield
    if old is None: os.environ.pop('MUSICNB_CACHE')
    else: os.environ['MUSICNB_CACHE'] = old

@pytest.mark.parametrize('kw', VARIANTS, ids=lambda kw: '-'.join(f'{k}={v}' for k, v in kw.items()))
def test_variant_trains_and_writes_a_run(kw, tmp_path, cache):
    cfg = TrainConfig.quick(epochs=1, hidden=8, synth_per_genre=3, batch_size=8, **kw)
    m = train(cfg, tmp_path/'run', verbose=False)
    assert 0 <= m['accuracy'] <= 1 and 0 <= m['segment']['accuracy'] <= 1
    saved = json.loads((tmp_path/'run'/'config.json').read_text())
    assert all(saved[k] == v for k, v in kw.items())
