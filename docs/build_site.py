#!/usr/bin/env python
"""Build musicnb's offline HTML site from the notebooks and the outputs stored in them.

    python docs/build_site.py [--nbs nbs] [--out _docs] [--force]

Nothing is executed: every page shows the cells and the outputs saved in its notebook. One page per
notebook, in learning-path order (`index.ipynb` is the home page, then the numbered notebooks by file
name, then each subfolder such as `experiments/`). Cells nbdev hides (`#| hide`, `#| include: false`)
are left out, `#| echo: false` shows only the outputs, `#| output: false` only the code; exported
cells are shown with the module they export to. Links to notebooks become links to their pages.
Math is typeset in the browser by a local copy of KaTeX (pinned below, fetched once with `npm pack`
and cached), and the page loads nothing from the network: `check_site` verifies that, and every
local link, image and anchor, after the build. `docs/browser_check.py` then checks the pages in a
real headless Chromium.

The site lands in nbdev's `doc_path` (`_docs/`); `nbdev_docs` (Quarto) writes the same folder, so
either can build it.
"""
from __future__ import annotations

import argparse, base64, configparser, hashlib, html, json, os, posixpath, re, shutil, subprocess, sys
import tarfile, tempfile, time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
from jinja2 import Environment, FileSystemLoader, select_autoescape
from nbconvert.filters.ansi import ansi2html
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

HERE = Path(__file__).resolve().parent
KATEX_VERSION = '0.16.22'
KATEX_INTEGRITY = 'sha512-XCHRdUw4lf3SKBaJe4EvgqIuWwkPSo9XoeO8GjQW94Bp7TWv9hNhzZjZ+OH9yf1UmLygb7DIT5GSFQiyt16zYg=='
MARKER = '.musicnb-site'          # marks a folder this builder wrote, so a rebuild may replace it
STATIC = '_static'
SCREENS = '_screens'              # browser_check.py's screenshots; ignored by check_site


class SiteError(Exception):
    "A problem the user can fix (a missing notebook, a bad link, no KaTeX): the message says which and why."


# ----------------------------------------------------------------------------------------------- pages
@dataclass
class Page:
    src: str                      # notebook path relative to nbs/, posix: 'experiments/table3_dual_stream.ipynb'
    section: str                  # 'path' (home and numbered notebooks) or a subfolder name
    title: str = ''
    summary: str = ''
    number: str = ''              # the file name's leading number: '21' for 21_simclr.ipynb
    nb: object = field(default=None, repr=False)

    @property
    def out(self) -> str: return self.src[:-len('.ipynb')] + '.html'


def _skip(p: Path) -> bool: return any(part.startswith(('_', '.')) for part in p.parts)

def discover(nbs: Path) -> list[Page]:
    "The site's pages in learning-path order: index.ipynb, the notebooks of nbs/ by name, then each subfolder by name."
    if not (nbs/'index.ipynb').is_file():
        raise SiteError(f"{nbs/'index.ipynb'}: missing; the site's home page is the learning path in nbs/index.ipynb")
    pages = [Page('index.ipynb', 'path')]
    pages += [Page(p.name, 'path') for p in sorted(nbs.glob('*.ipynb')) if p.name != 'index.ipynb' and not _skip(p.relative_to(nbs))]
    for sub in sorted(d for d in nbs.iterdir() if d.is_dir() and not _skip(d.relative_to(nbs))):
        pages += [Page(p.relative_to(nbs).as_posix(), sub.name) for p in sorted(sub.rglob('*.ipynb'))
                  if not _skip(p.relative_to(nbs))]
    for p in pages:
        m = re.match(r'(\d+)_', Path(p.src).name)
        p.number = m.group(1) if m else ''
    return pages

def _plain(md: str) -> str:
    "Markdown heading text as plain text: no backticks, emphasis or link targets."
    md = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', md)
    md = re.sub(r'(?<!\w)_+|_+(?!\w)', '', md)          # emphasis underscores, not the ones inside time_stream
    return re.sub(r'[`*]', '', md).strip()

def title_and_summary(nb, fallback: str) -> tuple[str, str]:
    "The notebook's H1 and the `> summary` line under it (nbdev's title and description); raw front matter wins."
    title = summary = ''
    for c in nb.cells[:3]:
        if c.cell_type == 'raw' and c.source.lstrip().startswith('---'):
            t = re.search(r'^title:\s*["\']?(.*?)["\']?\s*$', c.source, re.M)
            d = re.search(r'^description:\s*["\']?(.*?)["\']?\s*$', c.source, re.M)
            if t: title = t.group(1)
            if d: summary = d.group(1)
        if c.cell_type == 'markdown' and not title:
            m = re.search(r'^#\s+(.+?)\s*#*\s*$', c.source, re.M)
            if m:
                title = _plain(m.group(1))
                rest = c.source[m.end():].lstrip('\n')
                q = re.match(r'((?:>.*\n?)+)', rest)
                if q and not summary: summary = _plain(' '.join(l.lstrip('> ').strip() for l in q.group(1).splitlines()))
            break
    return title or re.sub(r'^\d+_', '', fallback), summary


# ----------------------------------------------------------------------------------------------- cells
_DIRECTIVE = re.compile(r'^\s*#\s*\|\s*(.*?)\s*$')

def directives(source: str) -> tuple[dict[str, str], str]:
    "nbdev/Quarto `#| name value` lines at the top of a code cell, and the source without them."
    d, lines = {}, source.splitlines()
    i = 0
    while i < len(lines) and (_DIRECTIVE.match(lines[i]) or not lines[i].strip()):
        m = _DIRECTIVE.match(lines[i])
        if m and m.group(1):
            name, _, val = m.group(1).partition(':' if re.match(r'[\w-]+\s*:', m.group(1)) else ' ')
            d[name.strip().lower()] = val.strip()
        i += 1
    return d, '\n'.join(lines[i:]).rstrip()

def _false(v: str) -> bool: return v.strip().lower() in ('false', 'no', '0')


class MathRenderer(IPythonRenderer):
    "nbconvert's markdown renderer, with math left as TeX in `.math` elements for KaTeX instead of raw `$` text."
    def block_math(self, body): return f'<div class="math display">{self.escape_html(body.strip())}</div>'
    def inline_math(self, body): return f'<span class="math inline">{self.escape_html(body.strip())}</span>'
    def latex_environment(self, name, body):
        tex = f'\\begin{{{name}}}{body}\\end{{{name}}}'
        return f'<div class="math display">{self.escape_html(tex)}</div>'

def markdown(source: str, attachments=None) -> str:
    r = MathRenderer(escape=False, attachments=attachments or {}, anchor_link_text='#')
    return MarkdownWithMath(renderer=r).render(source)

try:
    from ipython_pygments_lexers import IPython3Lexer as _Lexer
except ImportError:                                        # older IPython ships it itself
    try: from IPython.lib.lexers import IPython3Lexer as _Lexer
    except ImportError: _Lexer = PythonLexer
_FORMATTER = HtmlFormatter(cssclass='highlight')

_PY = PythonLexer()
_IPY = _Lexer()

def code_html(source: str) -> str:
    "Highlighted code; the IPython lexer (slower) only for cells with %magics or !shell lines."
    return highlight(source, _IPY if re.search(r'^\s*[%!]', source, re.M) else _PY, _FORMATTER)


class Builder:
    "Renders pages into `out`; collects problems (bad links, unreadable notebooks) instead of stopping at the first."
    IMAGE_EXT = {'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/svg+xml': 'svg'}
    PRIORITY = ('application/vnd.jupyter.widget-view+json', 'text/html', 'image/svg+xml', 'image/png', 'image/jpeg',
                'image/gif', 'text/markdown', 'text/latex', 'text/plain')

    def __init__(self, nbs: Path, out: Path, pages: list[Page], lib_name: str = 'musicnb'):
        self.nbs, self.out, self.pages, self.lib_name = nbs, out, pages, lib_name
        self.by_src = {p.src: p for p in pages}
        self.problems: list[str] = []

    # --- links and files
    def fix_url(self, url: str, page: Page, attr: str) -> str:
        "A notebook link becomes its page's link; a file under nbs/ is copied beside the pages; others stay."
        if not url or url.startswith(('#', '//', 'data:')) or urlsplit(url).scheme: return url
        parts = urlsplit(url)
        frag = f'#{parts.fragment}' if parts.fragment else ''
        path = unquote(parts.path)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.src), path))
        if target == '..' or target.startswith('../'):
            self.problems.append(f"nbs/{page.src}: {attr}={url!r} points outside nbs/; the site holds only what is under nbs/")
            return url
        here = posixpath.dirname(page.out) or '.'
        if target.endswith('.ipynb'):
            if target not in self.by_src:
                self.problems.append(f"nbs/{page.src}: link {url!r}: no notebook nbs/{target}")
                return url
            return posixpath.relpath(self.by_src[target].out, here) + frag
        if (self.nbs/target).is_file():
            dest = self.out/target
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(self.nbs/target, dest)
            return url
        if (self.nbs/target).is_dir() or target in ('.', ''):
            return url
        self.problems.append(f"nbs/{page.src}: {attr}={url!r}: no file nbs/{target}")
        return url

    _ATTR = re.compile(r'(\b(?:href|src)\s*=\s*)(["\'])(.*?)\2', re.S)

    def fix_links(self, fragment: str, page: Page) -> str:
        "Rewrite the quoted href/src attributes of an HTML fragment (a markdown cell or an HTML output) with `fix_url`."
        def sub(m):
            v = html.unescape(m.group(3))
            new = self.fix_url(v, page, m.group(1).split('=')[0].strip())
            return m.group(0) if new == v else f'{m.group(1)}{m.group(2)}{html.escape(new)}{m.group(2)}'
        return self._ATTR.sub(sub, fragment)

    def write_file(self, page: Page, name: str, data: bytes) -> str:
        "Write an output's file under `<page>_files/`; return its URL relative to the page."
        rel = f'{Path(page.out).stem}_files/{name}'
        dest = self.out/posixpath.dirname(page.out)/rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        return rel

    # --- outputs
    def output_html(self, o, page: Page, name: str) -> str:
        t = o.get('output_type')
        if t == 'stream':
            return f'<pre class="output stream {html.escape(o.get("name", "stdout"))}">{ansi2html(o.get("text", ""))}</pre>'
        if t == 'error':
            return f'<pre class="output error">{ansi2html(chr(10).join(o.get("traceback", [])))}</pre>'
        if t not in ('display_data', 'execute_result'): return ''
        data, meta = o.get('data', {}), o.get('metadata', {})
        mime = next((m for m in self.PRIORITY if m in data), None)
        if mime is None: return ''
        v = data[mime]
        if isinstance(v, list): v = ''.join(v)
        if mime == 'application/vnd.jupyter.widget-view+json':
            return ''                                      # live widgets (progress bars) need a kernel: leave them out
        if mime == 'text/html':
            return f'<div class="output html">{self.fix_links(v, page)}</div>'
        if mime in self.IMAGE_EXT:
            raw = v.encode() if mime == 'image/svg+xml' else base64.b64decode(v)
            src = self.write_file(page, f'{name}.{self.IMAGE_EXT[mime]}', raw)
            m = meta.get(mime, {}) if isinstance(meta.get(mime), dict) else {}
            size = ''.join(f' {k}="{int(m[k])}"' for k in ('width', 'height') if isinstance(m.get(k), (int, float)))
            return f'<div class="output image"><img src="{html.escape(src)}" alt="output of the cell above"{size}></div>'
        if mime == 'text/markdown':
            return f'<div class="output markdown">{self.fix_links(markdown(v), page)}</div>'
        if mime == 'text/latex':
            tex = re.sub(r'^\s*(\$\$?|\\\[)|(\$\$?|\\\])\s*$', '', v)
            return f'<div class="output latex"><div class="math display">{html.escape(tex)}</div></div>'
        return f'<pre class="output text">{html.escape(v)}</pre>'

    # --- cells
    def cell_html(self, c, page: Page, i: int, module: str | None) -> str:
        if c.cell_type == 'markdown':
            return f'<div class="cell markdown">{self.fix_links(markdown(c.source, c.get("attachments")), page)}</div>'
        if c.cell_type != 'code': return ''
        d, src = directives(c.source)
        if 'hide' in d or _false(d.get('include', 'true')): return ''
        show_src = bool(src) and not _false(d.get('echo', 'true'))
        outs = [] if _false(d.get('output', 'true')) else c.get('outputs', [])
        outs = [h for k, o in enumerate(outs) if (h := self.output_html(o, page, f'cell{i}_out{k}'))]
        if not show_src and not outs: return ''
        badges, classes = [], ['cell', 'code']
        for key in ('export', 'exports', 'exporti'):
            if key in d:
                mod = d[key] or module
                badges.append(f'<span class="badge export" title="this cell is exported to the package">'
                              f'{html.escape(f"{self.lib_name}.{mod}" if mod else "exported")}</span>')
                classes.append('exported')
        for key, label in (('slow', 'slow'), ('cuda', 'GPU'), ('full', 'full size')):
            if key in d: badges.append(f'<span class="badge flag" title="skipped by the default test run (nbdev flag {key})">{label}</span>')
        head = f'<div class="badges">{"".join(badges)}</div>' if badges and show_src else ''
        body = f'<div class="source">{code_html(src)}</div>' if show_src else ''
        out = f'<div class="outputs">{"".join(outs)}</div>' if outs else ''
        return f'<div class="{" ".join(classes)}">{head}{body}{out}</div>'

    def page_body(self, page: Page) -> str:
        module = next((directives(c.source)[0].get('default_exp') for c in page.nb.cells
                       if c.cell_type == 'code' and 'default_exp' in directives(c.source)[0]), None)
        return '\n'.join(h for i, c in enumerate(page.nb.cells) if (h := self.cell_html(c, page, i, module)))


# ----------------------------------------------------------------------------------------------- KaTeX
def cache_dir() -> Path:
    base = os.environ.get('MUSICNB_HOME_CACHE') or Path(os.environ.get('XDG_CACHE_HOME') or Path.home()/'.cache')/'musicnb-tools'
    return Path(base)

def _integrity(path: Path) -> str:
    return 'sha512-' + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()

def ensure_katex() -> Path:
    """A folder with KaTeX's katex.min.js, katex.min.css and fonts/: `$MUSICNB_KATEX_DIR`, or the cached copy of the
    pinned npm package (fetched with `npm pack` and checked against its pinned sha512 the first time)."""
    if os.environ.get('MUSICNB_KATEX_DIR'):
        d = Path(os.environ['MUSICNB_KATEX_DIR'])
        if not (d/'katex.min.js').is_file() or not (d/'katex.min.css').is_file() or not (d/'fonts').is_dir():
            raise SiteError(f"MUSICNB_KATEX_DIR={d}: not a KaTeX dist folder (needs katex.min.js, katex.min.css and fonts/)")
        return d
    d = cache_dir()/f'katex-{KATEX_VERSION}'
    if (d/'katex.min.js').is_file(): return d
    npm = shutil.which('npm')
    if npm is None:
        raise SiteError(f"KaTeX {KATEX_VERSION} is not cached in {d} and npm is not installed: install Node.js and npm "
                        f"(Debian: apt-get install npm), or set MUSICNB_KATEX_DIR to a KaTeX dist folder")
    d.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=d.parent) as tmp:
        p = subprocess.run([npm, 'pack', f'katex@{KATEX_VERSION}', '--pack-destination', tmp, '--silent'], cwd=tmp,
                           capture_output=True, text=True, timeout=300,
                           env={**os.environ, 'npm_config_update_notifier': 'false', 'npm_config_fund': 'false'})
        tgz = Path(tmp)/f'katex-{KATEX_VERSION}.tgz'
        if p.returncode != 0 or not tgz.is_file():
            raise SiteError(f"npm pack katex@{KATEX_VERSION} failed (exit {p.returncode}): {(p.stderr or p.stdout).strip()[-500:]}")
        if _integrity(tgz) != KATEX_INTEGRITY:
            raise SiteError(f"{tgz.name}: its sha512 is not the pinned one in {Path(__file__).name}; refusing to use it")
        stage = Path(tmp)/'katex'
        with tarfile.open(tgz) as tf:
            for m in tf.getmembers():
                rel = m.name.removeprefix('package/')
                if m.isfile() and (rel in ('dist/katex.min.js', 'dist/katex.min.css', 'LICENSE')
                                   or re.fullmatch(r'dist/fonts/[\w-]+\.woff2', rel)):
                    dest = stage/rel.removeprefix('dist/')
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(tf.extractfile(m).read())
        try: stage.rename(d)
        except OSError:                                    # another build cached it meanwhile
            if not (d/'katex.min.js').is_file(): raise
    return d

def install_katex(src: Path, dest: Path):
    "Copy KaTeX's script, stylesheet (woff2 fonts only: every browser KaTeX supports reads them) and licence."
    (dest/'fonts').mkdir(parents=True, exist_ok=True)
    shutil.copy2(src/'katex.min.js', dest/'katex.min.js')
    css = (src/'katex.min.css').read_text()
    css = re.sub(r',\s*url\([^)]*\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)', '', css)
    (dest/'katex.min.css').write_text(css)
    for f in (src/'fonts').glob('*.woff2'): shutil.copy2(f, dest/'fonts'/f.name)
    if (src/'LICENSE').is_file(): shutil.copy2(src/'LICENSE', dest/'LICENSE')


# ----------------------------------------------------------------------------------------------- the site
def site_settings(nbs: Path) -> dict:
    "title, description and lib_name from settings.ini beside nbs/ (nbdev's), with musicnb's defaults."
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(nbs.resolve().parent/'settings.ini')
    s = cfg['DEFAULT'] if cfg.defaults() else {}
    return {'title': s.get('title', 'musicnb'), 'description': s.get('description', ''), 'lib_name': s.get('lib_name', 'musicnb')}

def build(nbs: Path, out: Path, force: bool = False, katex: Path | None = None) -> tuple[list[Page], list[str]]:
    """Render every notebook under `nbs` into the site folder `out` (replaced as a whole). Returns the pages and the
    problems found (bad links, unreadable notebooks, then `check_site`'s findings); the site is written either way."""
    nbs, out = Path(nbs), Path(out)
    if not nbs.is_dir(): raise SiteError(f"{nbs}: no such notebook folder")
    o, n = out.resolve(), nbs.resolve()
    if o == n or o.is_relative_to(n) or n.is_relative_to(o) or o in (Path.home().resolve(), Path(o.anchor)):
        raise SiteError(f"{out}: refusing to replace it: the site folder must be outside {nbs} and must not hold it")
    if out.exists() and any(out.iterdir()) and not (out/MARKER).exists():
        if not force: raise SiteError(f"{out}: exists and was not written by this builder; pass --force to replace it")
        if next(out.rglob('*.ipynb'), None) is not None:
            raise SiteError(f"{out}: holds notebooks; refusing to replace it even with --force")
    pages = discover(nbs)
    settings = site_settings(nbs)
    katex = Path(katex) if katex else ensure_katex()
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f'.{out.name}.', dir=out.parent))
    try:
        problems = _render(nbs, stage, pages, settings, katex)
        problems += check_site(stage)
        (stage/MARKER).write_text(json.dumps({'pages': len(pages), 'katex': KATEX_VERSION}) + '\n')
        if out.exists(): shutil.rmtree(out)
        stage.rename(out)
    finally:
        if stage.exists(): shutil.rmtree(stage)
    return pages, problems

def _render(nbs: Path, out: Path, pages: list[Page], settings: dict, katex: Path) -> list[str]:
    b = Builder(nbs, out, pages, settings['lib_name'])
    for p in pages:
        try: p.nb = nbformat.read(nbs/p.src, as_version=4)
        except Exception as e:
            b.problems.append(f"nbs/{p.src}: not a readable notebook ({type(e).__name__}: {e})")
            p.nb = nbformat.v4.new_notebook()
        p.title, p.summary = title_and_summary(p.nb, Path(p.src).stem)
    static = out/STATIC
    static.mkdir(parents=True)
    install_katex(katex, static/'katex')
    shutil.copy2(HERE/'site.css', static/'site.css')
    shutil.copy2(HERE/'site.js', static/'site.js')
    (static/'pygments.css').write_text(_FORMATTER.get_style_defs('.highlight') + '\n')
    env = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape(['html']))
    tpl = env.get_template('page.html')
    sections = [('Learning path', [p for p in pages if p.section == 'path'])]
    sections += [(s.replace('_', ' ').capitalize(), [p for p in pages if p.section == s])
                 for s in dict.fromkeys(p.section for p in pages if p.section != 'path')]
    for i, p in enumerate(pages):
        here = posixpath.dirname(p.out) or '.'
        rel = lambda q, here=here: posixpath.relpath(q.out, here)
        dest = out/p.out
        dest.parent.mkdir(parents=True, exist_ok=True)
        body = b.page_body(p)
        dest.write_text(tpl.render(page=p, body=body, sections=sections, rel=rel, site=settings,
                                   root=posixpath.relpath('.', here) + '/' if here != '.' else '',
                                   prev=pages[i-1] if i else None, next=pages[i+1] if i + 1 < len(pages) else None))
    return b.problems


# ----------------------------------------------------------------------------------------------- checks
LOADS = {'img': ('src', 'srcset'), 'script': ('src',), 'link': ('href',), 'iframe': ('src',), 'frame': ('src',),
         'embed': ('src',), 'object': ('data',), 'audio': ('src',), 'video': ('src', 'poster'), 'source': ('src', 'srcset'),
         'track': ('src',), 'input': ('src',), 'image': ('href', 'xlink:href'), 'use': ('href', 'xlink:href')}
_CSS_URL = re.compile(r'url\(\s*["\']?([^"\')]+)|@import\s+["\']([^"\']+)')

def _external(url: str) -> bool:
    return url.startswith('//') or urlsplit(url).scheme.lower() in ('http', 'https', 'ftp', 'ws', 'wss')

_TAG = re.compile(r'<([a-zA-Z][\w:-]*)(\s[^<>]*)?/?>|<style\b[^>]*>(.*?)</style>|<!--.*?-->', re.S)
_ATTRS = re.compile(r'([\w:-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s"\'>]+))')
_WANTED = re.compile(r'\b(?:src|srcset|href|data|poster|style|id|name)\s*=')

@dataclass
class _Scan:
    "One regex pass over a page: (tag, attributes) of every tag that can load or link or be linked to, its ids, <style> texts."
    tags: list = field(default_factory=list)
    ids: set = field(default_factory=set)
    styles: list = field(default_factory=list)

def _scan(path: Path) -> _Scan:
    s = _Scan()
    for m in _TAG.finditer(path.read_text()):
        if m.group(3) is not None: s.styles.append(m.group(3)); continue
        tag, attrs = (m.group(1) or '').lower(), m.group(2) or ''
        if not tag or not _WANTED.search(attrs): continue           # most tags are pygments' <span class=...>
        d = {k.lower(): html.unescape(next(v for v in vals if v is not None)) for k, *vals in _ATTRS.findall(attrs)}
        s.tags.append((tag, d))
        if 'id' in d: s.ids.add(d['id'])
        if tag == 'a' and 'name' in d: s.ids.add(d['name'])
    return s

def check_site(out: Path) -> list[str]:
    """Static checks of a built site: no page loads anything from outside the site (scripts, styles, fonts, images,
    media; plain `<a href>` links to papers are fine), every local link and resource exists, every `#anchor` exists,
    and no link still points at an .ipynb."""
    out = Path(out).resolve()
    problems = []
    pages = sorted(p for p in out.rglob('*.html') if not p.relative_to(out).as_posix().startswith((STATIC, SCREENS)))
    scans = {p: _scan(p) for p in pages}
    def css_urls(text, where, base):
        for m in _CSS_URL.finditer(text):
            u = (m.group(1) or m.group(2)).strip()
            if _external(u): problems.append(f"{where}: loads {u} from outside the site")
            elif base is not None and not u.startswith('data:') and not (base/unquote(urlsplit(u).path)).exists():
                problems.append(f"{where}: url({u}) does not exist")
    for css in sorted(out.rglob('*.css')): css_urls(css.read_text(), css.relative_to(out).as_posix(), css.parent)
    for p, s in scans.items():
        name = p.relative_to(out).as_posix()
        refs = []
        for tag, d in s.tags:
            for a in LOADS.get(tag, ()):
                v = d.get(a, '').strip()
                if not v: continue
                for u in ([c.strip().split()[0] for c in v.split(',') if c.strip()] if a == 'srcset' else [v]):
                    if _external(u): problems.append(f"{name}: <{tag} {a}={u!r}> loads from outside the site")
                    else: refs.append((tag, a, u))
            if tag == 'a' and d.get('href', '').strip(): refs.append(('a', 'href', d['href'].strip()))
            if 'style' in d: css_urls(d['style'], f'{name}: <{tag} style>', None)
        for text in s.styles: css_urls(text, f'{name}: <style>', None)
        for tag, a, u in refs:
            if u.startswith(('data:', 'mailto:', 'javascript:')) or urlsplit(u).scheme: continue
            parts = urlsplit(u)
            target = (p.parent/unquote(parts.path)).resolve() if parts.path else p
            shown = target.relative_to(out).as_posix() if target.is_relative_to(out) else str(target)
            if parts.path.endswith('.ipynb'):
                problems.append(f"{name}: <{tag} {a}={u!r}> still points at a notebook")
            elif not target.is_relative_to(out):
                problems.append(f"{name}: <{tag} {a}={u!r}> points outside the site")
            elif not target.exists():
                problems.append(f"{name}: <{tag} {a}={u!r}>: {shown} does not exist")
            elif parts.fragment and target in scans and not {parts.fragment, unquote(parts.fragment)} & scans[target].ids:
                problems.append(f"{name}: <{tag} {a}={u!r}>: no anchor #{parts.fragment} in {shown}")
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--nbs', type=Path, default=Path('nbs'), help='notebook folder (default: nbs)')
    ap.add_argument('--out', type=Path, default=Path('_docs'), help="site folder, replaced as a whole (default: _docs, nbdev's doc_path)")
    ap.add_argument('--force', action='store_true', help='replace --out even if another tool wrote it (e.g. Quarto)')
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    try: pages, problems = build(a.nbs, a.out, force=a.force)
    except SiteError as e:
        print(f'docs: {e}', file=sys.stderr); return 2
    dt = time.perf_counter() - t0
    for pr in problems: print(f'docs: {pr}', file=sys.stderr)
    print(f'docs: {len(pages)} pages in {dt:.1f} s -> {(a.out/"index.html").resolve()}')
    if problems:
        print(f'docs: {len(problems)} problem(s) above; the site was written but is not right', file=sys.stderr)
        return 1
    return 0

if __name__ == '__main__':
    sys.exit(main())
