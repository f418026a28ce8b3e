"""The offline HTML site (`scripts/docs.sh`, docs/build_site.py, docs/browser_check.py) on a fixture notebook folder
with stored outputs (a PNG figure, LaTeX, a pandas table, an audio player), and on the repository's nbs/.

The KaTeX copy comes from the pinned npm package (cached after the first build) and the browser check needs Debian's
`chromium`: without them these tests skip and say why, unless MUSICNB_DOCS_STRICT=1 (CI), where they fail instead.
"""
import base64, io, os, re, shutil, sys, time
from markupsafe import escape
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import REPO

sys.path.insert(0, str(REPO/'docs'))
import build_site as bs            # noqa: E402
import browser_check as bc         # noqa: E402

STRICT = os.environ.get('MUSICNB_DOCS_STRICT') == '1'

def _missing(reason):
    if STRICT: pytest.fail(f'{reason} (MUSICNB_DOCS_STRICT=1)')
    pytest.skip(reason)

@pytest.fixture(scope='module')
def katex():
    try: return bs.ensure_katex()
    except bs.SiteError as e: _missing(f'no KaTeX for the site: {e}')


# ----------------------------------------------------------------------------------------------- the fixture
def _png() -> str:
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(3, 2), dpi=60)
    ax.plot([0, 1, 2], [0, 1, 0]); ax.set_title('a triangle')
    buf = io.BytesIO(); fig.savefig(buf, format='png'); plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()

def _svg() -> str:
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(2, 1.5)); ax.bar([0, 1], [2, 1])
    buf = io.StringIO(); fig.savefig(buf, format='svg'); plt.close(fig)
    return buf.getvalue()

def _audio_html() -> str:
    import numpy as np
    from IPython.display import Audio
    t = np.arange(4000) / 8000
    return Audio(np.sin(2 * np.pi * 440 * t), rate=8000)._repr_html_()

def _write(path: Path, cells, **meta):
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(cells=cells, metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}, **meta})
    nbformat.write(nb, path)

def make_fixture(nbs: Path) -> Path:
    "A tiny workbook: a home page, a lesson with every kind of output, a page with no H1, an experiment."
    import pandas as pd
    df = pd.DataFrame({'genre': ['blues', 'rock'], 'accuracy': [0.81, 0.77]})
    _write(nbs/'index.ipynb', [new_markdown_cell(
        '# Fixture path\n\n> A tiny learning path.\n\nStart with [the lesson](01_lesson.ipynb), then '
        '[an experiment](experiments/exp_one.ipynb#Results). Papers stay plain links: [SimCLR](https://arxiv.org/abs/2002.05709).')])
    (nbs/'images').mkdir(parents=True)
    (nbs/'images'/'dot.png').write_bytes(base64.b64decode(_png()))
    _write(nbs/'01_lesson.ipynb', [
        new_markdown_cell('# A lesson on `time_stream`\n\n> Math, a figure, a table and a sound.\n\n'
                          'Euler: $e^{i\\pi} + 1 = 0$, and the fusion\n\n'
                          '$$\\hat y = \\arg\\max_k \\; \\alpha\\, p_t(k) + (1-\\alpha)\\, p_f(k)$$\n\n'
                          'Next: [the next page](02_next.ipynb). A stored picture: ![a dot](images/dot.png)'),
        new_code_cell('#| default_exp lesson'),
        new_code_cell('#| hide\nSECRET = 42\nprint(SECRET)', outputs=[new_output('stream', name='stdout', text='HIDDEN-OUTPUT\n')]),
        new_code_cell('#| export\ndef twice(x): return 2 * x'),
        new_code_cell('fig', outputs=[new_output('execute_result', data={'image/png': _png(), 'text/plain': '<Figure>'},
                                                 execution_count=1)]),
        new_code_cell('df', outputs=[new_output('execute_result', execution_count=2,
                                                data={'text/html': df._repr_html_(), 'text/plain': repr(df)})]),
        new_code_cell('Audio(x, rate=8000)', outputs=[new_output('display_data',
                                                                data={'text/html': _audio_html(), 'text/plain': '<Audio>'})]),
        new_code_cell('print("hello"); warn()', outputs=[new_output('stream', name='stdout', text='hello \x1b[31mred\x1b[0m\n'),
                                                         new_output('stream', name='stderr', text='a warning\n')]),
        new_code_cell('oops()', outputs=[new_output('error', ename='NameError', evalue="name 'oops' is not defined",
                                                    traceback=["\x1b[0;31mNameError\x1b[0m: name 'oops' is not defined"])]),
        new_code_cell('#| echo: false\nprint("only the output")', outputs=[new_output('stream', name='stdout', text='ONLY-OUTPUT\n')]),
        new_code_cell('#| slow\ntrain_long()'),
        new_code_cell('for _ in tqdm(range(3)): pass', outputs=[new_output('display_data', data={
            'application/vnd.jupyter.widget-view+json': {'model_id': 'abc', 'version_major': 2, 'version_minor': 0},
            'text/plain': 'HBox(children=(FloatProgress(value=0.0),))'})]),
        new_markdown_cell('## Results\n\nBack to [the top](#A-lesson-on-time_stream).'),
    ])
    _write(nbs/'02_next.ipynb', [new_markdown_cell('No title here, but an environment:\n\n'
                                                   '\\begin{align}a &= b + c \\\\ d &= e\\end{align}\n\nBack [home](index.ipynb). '
                                                   'An attached picture: ![attached](attachment:dot.png)',
                                                   attachments={'dot.png': {'image/png': _png()}})])
    _write(nbs/'experiments'/'exp_one.ipynb', [
        new_markdown_cell('# An experiment\n\n> One table.\n\nBuilt on [the lesson](../01_lesson.ipynb).'),
        new_code_cell('Math(...)', outputs=[new_output('display_data', data={'text/latex': '$$\\sum_i x_i^2$$', 'text/plain': 'Math'})]),
        new_code_cell('fig_svg', outputs=[new_output('display_data', data={'image/svg+xml': _svg(), 'text/plain': '<Figure>'}),
                                          new_output('display_data', data={'text/markdown': 'A *markdown* output with $x^2$.',
                                                                           'text/plain': 'md'})]),
        new_markdown_cell('## Results\n\nNothing yet.'),
    ])
    return nbs

@pytest.fixture(scope='module')
def site(tmp_path_factory, katex):
    root = tmp_path_factory.mktemp('docs')
    nbs = make_fixture(root/'nbs')
    t0 = time.perf_counter()
    pages, problems = bs.build(nbs, root/'_docs', katex=katex)
    print(f'fixture site built in {time.perf_counter() - t0:.2f} s')
    assert problems == []
    return root/'_docs', pages

def read(site, name): return (site[0]/name).read_text()


# ----------------------------------------------------------------------------------------------- the build
def test_pages_in_learning_path_order_with_titles(site):
    out, pages = site
    assert [p.src for p in pages] == ['index.ipynb', '01_lesson.ipynb', '02_next.ipynb', 'experiments/exp_one.ipynb']
    assert [p.title for p in pages] == ['Fixture path', 'A lesson on time_stream', 'next', 'An experiment']
    assert pages[1].summary == 'Math, a figure, a table and a sound.'
    home = read(site, 'index.html')
    assert '<title>Fixture path' in home
    nav = home[home.index('<nav class="sidebar"'):home.index('</nav>')]
    hrefs = re.findall(r'<li[^>]*><a href="([^"]+)"', nav)
    assert hrefs == ['index.html', '01_lesson.html', '02_next.html', 'experiments/exp_one.html']
    assert '<h2>Experiments</h2>' in nav and 'aria-current="page"' in nav
    exp = read(site, 'experiments/exp_one.html')
    assert 'href="../_static/site.css"' in exp and 'href="../index.html"' in exp     # relative from a subfolder

def test_cells_follow_nbdev_directives(site):
    page = read(site, '01_lesson.html')
    assert 'SECRET' not in page and 'HIDDEN-OUTPUT' not in page                      # #| hide: neither code nor output
    assert 'default_exp' not in page and '#|' not in page                            # directive lines are not shown
    assert 'class="badge export"' in page and 'musicnb.lesson' in page and 'twice' in page
    assert 'ONLY-OUTPUT' in page and 'only the output' not in page                   # #| echo: false
    assert '>slow</span>' in page and 'train_long' in page
    assert 'FloatProgress' not in page                                               # widgets need a kernel

def test_outputs_figures_tables_audio_streams(site):
    out, _ = site
    page = read(site, '01_lesson.html')
    imgs = re.findall(r'<img src="([^"]+)"', page)
    assert 'images/dot.png' in imgs and (out/'images'/'dot.png').is_file()           # a file under nbs/ is copied
    figs = [i for i in imgs if i.startswith('01_lesson_files/')]
    assert len(figs) == 1 and (out/figs[0]).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert 'class="dataframe' in page and '<td>blues</td>' in page
    assert re.search(r'<audio[^>]*>\s*<source src="data:audio/wav;base64,', page)
    assert 'class="ansi-red-fg">red' in page and 'class="output stream stderr"' in page
    assert '<pre class="output error"><span class="ansi-red-fg">NameError</span>' in page
    exp = read(site, 'experiments/exp_one.html')
    assert '<img src="exp_one_files/cell2_out0.svg"' in exp and (out/'experiments'/'exp_one_files'/'cell2_out0.svg').is_file()
    assert '<em>markdown</em> output with <span class="math inline">x^2</span>' in exp
    assert '<img src="data:image/png;base64,' in read(site, '02_next.html')                       # a markdown attachment

def test_links_and_math(site):
    home, page = read(site, 'index.html'), read(site, '01_lesson.html')
    assert 'href="01_lesson.html"' in home and 'href="experiments/exp_one.html#Results"' in home
    assert 'href="https://arxiv.org/abs/2002.05709"' in home                         # prose links to papers stay
    assert 'href="../01_lesson.html"' in read(site, 'experiments/exp_one.html')
    assert 'href="index.html"' in read(site, '02_next.html')
    assert '.ipynb"' not in home + page
    assert page.count('class="math inline"') == 1 and page.count('class="math display"') == 1
    assert '\\alpha' in page and '$' not in re.sub(r'<(pre|audio)\b.*?</\1>', '', page, flags=re.S)
    assert 'class="math display">\\begin{align}' in read(site, '02_next.html')
    assert 'class="math display">\\sum_i x_i^2<' in read(site, 'experiments/exp_one.html')

def test_nothing_loads_from_outside(site):
    out, _ = site
    assert bs.check_site(out) == []
    for p in out.rglob('*.html'):
        for tag, url in re.findall(r'<(script|link|img|audio|source|iframe)\b[^>]*?\b(?:src|href)="([^"]*)"', p.read_text()):
            assert not re.match(r'(https?:)?//', url), (p, tag, url)
    css = (out/'_static'/'katex'/'katex.min.css').read_text()
    assert 'woff2' in css and '.ttf' not in css and '.woff)' not in css
    assert all(f.suffix == '.woff2' for f in (out/'_static'/'katex'/'fonts').iterdir())

def test_check_site_finds_outside_loads_and_broken_links(site, tmp_path):
    copy = tmp_path/'copy'
    shutil.copytree(site[0], copy)
    page = copy/'01_lesson.html'
    page.write_text(page.read_text().replace('</main>', '<script src="https://cdn.example.org/mathjax.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/a.css"><img src="missing.png">'
        '<a href="02_next.html#nowhere">x</a><a href="gone.html">y</a><div style="background: url(http://x.example.org/i.png)"></div></main>'))
    problems = '\n'.join(bs.check_site(copy))
    for needle in ('https://cdn.example.org/mathjax.js', '//fonts.example.org/a.css', "'missing.png'", 'no anchor #nowhere',
                   "'gone.html'", 'http://x.example.org/i.png'):
        assert needle in problems, needle

def test_bad_notebook_links_fail_the_build(tmp_path, katex, capsys):
    nbs = tmp_path/'nbs'
    _write(nbs/'index.ipynb', [new_markdown_cell('# Home\n\nSee [a lesson](99_missing.ipynb), ![remote](https://example.org/x.png) '
                                                 'and [the readme](../README.md).')])
    pages, problems = bs.build(nbs, tmp_path/'site', katex=katex)
    text = '\n'.join(problems)
    assert "nbs/index.ipynb: link '99_missing.ipynb': no notebook nbs/99_missing.ipynb" in text
    assert "https://example.org/x.png" in text and 'loads from outside the site' in text
    assert "'../README.md' points outside nbs/" in text
    assert bs.main(['--nbs', str(nbs), '--out', str(tmp_path/'site')]) == 1
    assert 'problem(s) above' in capsys.readouterr().err

def test_refuses_to_replace_a_foreign_folder(tmp_path, katex):
    nbs = make_fixture(tmp_path/'nbs')
    (tmp_path/'mine').mkdir(); (tmp_path/'mine'/'notes.txt').write_text('keep me')
    with pytest.raises(bs.SiteError, match='not written by this builder'): bs.build(nbs, tmp_path/'mine', katex=katex)
    with pytest.raises(bs.SiteError, match='index.ipynb: missing'): bs.build(tmp_path/'mine', tmp_path/'out', katex=katex)
    for bad in (nbs, nbs/'experiments', tmp_path):                                  # never the notebooks, nor above them
        with pytest.raises(bs.SiteError, match='must be outside'): bs.build(nbs, bad, force=True, katex=katex)
    (tmp_path/'mine'/'a.ipynb').write_text('{}')
    with pytest.raises(bs.SiteError, match='holds notebooks'): bs.build(nbs, tmp_path/'mine', force=True, katex=katex)
    assert (nbs/'experiments'/'exp_one.ipynb').is_file() and (tmp_path/'mine'/'notes.txt').is_file()
    bs.build(nbs, tmp_path/'out', katex=katex)
    bs.build(nbs, tmp_path/'out', katex=katex)                                        # its own folder: rebuilt in place
    assert (tmp_path/'out'/'index.html').is_file() and not list(tmp_path.glob('.out.*'))

def test_the_workbook_builds_without_problems(tmp_path, katex):
    "The repository's own notebooks: one page per notebook, every title from its H1, no problem."
    t0 = time.perf_counter()
    pages, problems = bs.build(REPO/'nbs', tmp_path/'_docs', katex=katex)
    print(f'workbook site: {len(pages)} pages in {time.perf_counter() - t0:.1f} s')
    assert problems == []
    n = len([p for p in (REPO/'nbs').rglob('*.ipynb') if not any(s.startswith(('.', '_')) for s in p.relative_to(REPO/'nbs').parts)])
    assert len(pages) == n and pages[0].src == 'index.ipynb'
    html = {p.src: (tmp_path/'_docs'/p.out).read_text() for p in pages}
    untitled = [src for src, h in html.items() if '<h1' not in h]                   # the skeleton: every notebook has an H1
    assert untitled == [], untitled
    assert all(f'<title>{escape(p.title)}' in html[p.src] for p in pages)


# ----------------------------------------------------------------------------------------------- the browser
@pytest.fixture(scope='module')
def chromium():
    b = bc.find_chromium()
    if b is None: _missing('Chromium is not installed (Debian: apt-get install chromium)')
    return b

def test_pages_in_headless_chromium(site, chromium):
    "Every page loads from file:// with no console error and no outside request; math typeset; images, audio show."
    out, _ = site
    t0 = time.perf_counter()
    reports = bc.check_site_in_browser(out, out/'_screens', chromium, lesson='01_lesson.html')
    print(f'browser check: {len(reports)} pages in {time.perf_counter() - t0:.1f} s')
    assert {r.page: r.errors for r in reports} == {r.page: [] for r in reports}
    r = {r.page: r.info for r in reports}
    assert len(r) == 4
    assert r['01_lesson.html']['typeset'] == 2 and r['02_next.html']['typeset'] == 1
    assert r['experiments/exp_one.html']['typeset'] == 2 and r['01_lesson.html']['katexFont']
    assert [i['ok'] for i in r['experiments/exp_one.html']['images'] + r['02_next.html']['images']] == [True, True]
    assert len(r['01_lesson.html']['images']) == 2 and all(i['w'] > 0 for i in r['01_lesson.html']['images'])
    [a] = r['01_lesson.html']['audio']
    assert a['duration'] == pytest.approx(0.5, abs=0.01)
    for shot in ('index.png', '01_lesson.png'):
        data = (out/'_screens'/shot).read_bytes()
        assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 10_000

def test_browser_check_reports_what_breaks(site, chromium, tmp_path):
    "The check is not blind: an outside request, a console error, bad TeX and a broken image are each reported."
    copy = tmp_path/'copy'
    shutil.copytree(site[0], copy)
    page = copy/'02_next.html'
    page.write_text(page.read_text().replace('</article>', '<p><span class="math inline">\\frac{1}{</span></p>'
        '<img src="https://example.org/remote.png"><img src="nowhere.png"><script>console.error("boom")</script></article>'))
    [rep] = [r for r in bc.check_site_in_browser(copy, None, chromium) if r.page == '02_next.html']
    text = '\n'.join(rep.errors)
    for needle in ('request outside the site: https://example.org/remote.png', 'console: boom', 'KaTeX could not typeset',
                   'formula(s) KaTeX could not typeset', 'image does not show: nowhere.png', 'nowhere.png: net::ERR_FILE_NOT_FOUND'):
        assert needle in text, (needle, text)
