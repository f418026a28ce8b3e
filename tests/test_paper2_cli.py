"""Paper 2 from the command line: `musicnb embed` -> `musicnb head` (every loss) -> `musicnb report`, and bad input."""
import json
import pytest
import torch
from conftest import run_cli, run_main

@pytest.fixture(scope='module')
def emb(tmp_path_factory):
    "An embedding folder of a tiny SynthGenres (random SimCLR encoder, 1 s windows), made once."
    d = tmp_path_factory.mktemp('p2')
    env = dict(MUSICNB_CACHE=str(d/'cache'))
    p = run_cli('embed', '--extractor', 'simclr', '--weights', 'random', '--synth-per-genre', 6, '--window-seconds', 1,
                '--out', d/'emb', env=env, check=True)
    assert 'simclr embeddings of 60 tracks (180 windows of 1 s' in p.stdout, p.stdout
    return d, env

def test_embed_then_every_head_then_report(emb):
    d, env = emb
    rc, out, err = run_main('embed', '--extractor', 'simclr', '--weights', 'random', '--synth-per-genre', 6, '--window-seconds', 1,
                            '--out', d/'emb', env=env)                          # again: read from the cache, same folder
    assert rc == 0 and 'simclr embeddings of 60 tracks (180 windows' in out, (out, err)
    common = ('--embeddings', d/'emb', '--depth', 2, '--width', 32, '--epochs', 5, '--patience', 5)
    for loss, extra in (('ce', ()), ('contrastive', ()), ('triplet', ('--mining', 'hard')),
                        ('multitask', ('--heads', 3, '--loss-weights', '0.5,0.25,0.25'))):
        rc, out, err = run_main('head', *common, '--loss', loss, *extra, '--out', d/'runs'/loss, env=env)
        assert rc == 0 and f'head-{loss} (tracks, depth 2) on simclr embeddings: test accuracy' in out, (out, err)
        m = json.loads((d/'runs'/loss/'metrics.json').read_text())
        assert 0 <= m['accuracy'] <= 1 and m['n_test_tracks'] > 0 and (d/'runs'/loss/'head.pt').exists()
    assert run_main('head', *common, '--level', 'window', '--out', d/'runs'/'ce-windows', env=env)[0] == 0
    p = run_cli('report', d/'runs', '--out', d/'report', env=env, check=True)
    assert '5 runs' in p.stdout and (d/'report'/'summary.md').exists()

def test_embed_from_shards_then_a_head(emb):
    "`musicnb shard` once, then `musicnb embed --shards`: the segments are the windows, streamed; a head trains on the folder."
    d, env = emb
    run_cli('shard', '--synth-per-genre', 6, '--seconds', 1, '--out', d/'shards', env=env, check=True)
    rc, out, err = run_main('embed', '--extractor', 'simclr', '--weights', 'random', '--shards', d/'shards', '--out', d/'emb-sh', env=env)
    assert rc == 0 and 'simclr embeddings of 60 tracks (180 windows of 1 s' in out, (out, err)
    cfg = json.loads((d/'emb-sh'/'config.json').read_text())
    assert cfg['embed']['shards'] == str(d/'shards') and cfg['embed']['window_seconds'] == 1.0
    rc, out, err = run_main('head', '--embeddings', d/'emb-sh', '--epochs', 3, '--out', d/'runs-sh'/'ce', env=env)
    assert rc == 0 and 'test accuracy' in out, (out, err)

@pytest.mark.parametrize('args, needle', [
    (('embed', '--extractor', 'openl3', '--out', '{out}'), "unknown extractor 'openl3'"),
    (('embed', '--extractor', 'panns-cnn14', '--out', '{out}'), 'needs weights= (--weights): Cnn14_mAP=0.431.pth'),
    (('embed', '--extractor', 'vggish', '--weights', '/no/such.pth', '--out', '{out}'), '/no/such.pth'),
    (('embed', '--extractor', 'simclr', '--weights', 'random', '--layout', 'gtzan', '--out', '{out}'), '--data is required'),
    (('embed', '--extractor', 'simclr', '--weights', 'random', '--shards', '/no/such/shards', '--out', '{out}'), 'no such shard folder'),
    (('embed', '--extractor', 'simclr', '--weights', 'random', '--shards', '/tmp', '--data', '/tmp', '--out', '{out}'), 'give --data or --shards, not both'),
    (('head', '--embeddings', '/no/such/emb', '--out', '{out}'), 'no such embedding folder'),
    (('head', '--embeddings', '/tmp', '--loss', 'multitask', '--heads', 4, '--out', '{out}'), "4 heads (CE on anchor, positive and negative) need main_loss='triplet'"),
    (('head', '--embeddings', '/tmp', '--loss-weights', 'a,b', '--out', '{out}'), 'expected comma-separated numbers'),
])
def test_bad_input_is_one_line(args, needle, tmp_path):
    rc, out, err = run_main(*(str(a).format(out=tmp_path/'out') for a in args))
    assert rc == 2 and needle in err.strip().splitlines()[-1] and 'Traceback' not in err, err   # argparse adds its usage above

def test_a_checkpoint_of_another_model_names_its_keys(tmp_path):
    torch.save({'model': {'conv_block1.conv1.weight': torch.zeros(64, 1, 3, 3)}}, tmp_path/'wrong.pth')
    rc, out, err = run_main('embed', '--extractor', 'byola-v1', '--weights', tmp_path/'wrong.pth', '--synth-per-genre', 2,
                            '--out', tmp_path/'e', env=dict(MUSICNB_CACHE=str(tmp_path/'cache')))
    assert rc == 2 and 'conv_block1.conv1.weight' in err and 'Traceback' not in err, err
