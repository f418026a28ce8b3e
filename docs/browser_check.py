#!/usr/bin/env python
"""Check a built site in a real headless Chromium (Debian's `chromium`), driven over the DevTools protocol.

    python docs/browser_check.py [_docs] [--screens _docs/_screens] [--chromium /usr/bin/chromium]

Every page is opened from file:// and must: log no console error and throw no exception; request nothing
but files inside the site (and data:/blob: URLs); have every formula typeset by KaTeX (no `.math-error`,
no `.math` left untypeset, no raw `$$` in the text); show every <img> (complete, naturalWidth > 0) and
let every <audio> read its metadata. Screenshots of the home page and of one lesson are saved as PNG.
Outside hosts cannot be reached anyway: Chromium's resolver maps every host name to nothing.

Talks to Chromium through `--remote-debugging-pipe` (file descriptors 3 and 4), so it needs no port, no
websocket library and no npm package; exit status 0 when every page passes, 1 otherwise, 2 when it cannot run.
"""
from __future__ import annotations

import argparse, base64, fcntl, json, os, select, shutil, signal, subprocess, sys, tempfile, time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

STATIC, SCREENS = '_static', '_screens'


class BrowserError(Exception):
    "Chromium is missing, would not start, or stopped answering."


def find_chromium(explicit: str | None = None) -> str | None:
    "The Chromium binary: the argument, $MUSICNB_CHROMIUM, or chromium/chromium-browser on PATH."
    for c in (explicit, os.environ.get('MUSICNB_CHROMIUM'), 'chromium', 'chromium-browser'):
        if c and (p := shutil.which(c)): return p
    return None


class Chromium:
    "A headless Chromium and one page in it, spoken to over the DevTools pipe; events are kept in `events`."
    def __init__(self, binary: str, width: int = 1280, height: int = 900, timeout: float = 30.):
        self.timeout, self.events, self._id, self._buf, self.height = timeout, [], 0, b'', height
        self.profile = tempfile.mkdtemp(prefix='musicnb-chromium-')
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        def child():                                       # Chromium reads commands on fd 3 and answers on fd 4
            a, b = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome_r, from_chrome_w))
            os.dup2(a, 3); os.dup2(b, 4)
        args = [binary, '--headless=new', '--remote-debugging-pipe', f'--user-data-dir={self.profile}',
                '--no-sandbox', '--no-first-run', '--no-default-browser-check', '--disable-gpu', '--disable-extensions',
                '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
                '--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication',
                '--host-resolver-rules=MAP * ~NOTFOUND', '--mute-audio', '--hide-scrollbars',
                f'--window-size={width},{height}', '--force-device-scale-factor=1', 'about:blank']
        self.log = open(Path(self.profile)/'chromium.log', 'wb')
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     preexec_fn=child, close_fds=False,
                                     start_new_session=True)
        os.close(to_chrome_r); os.close(from_chrome_w)
        try:
            target = self.call('Target.createTarget', url='about:blank')['targetId']
            self.session = self.call('Target.attachToTarget', targetId=target, flatten=True)['sessionId']
            for domain in ('Page', 'Runtime', 'Log', 'Network'): self.call(f'{domain}.enable', session=True)
            self.call('Emulation.setDeviceMetricsOverride', session=True, width=width, height=height,
                      deviceScaleFactor=1, mobile=False)
        except Exception:
            self.close(); raise

    def _send(self, msg: dict):
        data = json.dumps(msg).encode() + b'\0'
        while data: data = data[os.write(self._w, data):]

    def _read(self, deadline: float) -> dict | None:
        while b'\0' not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0: return None
            if not select.select([self._r], [], [], min(left, 0.5))[0]:
                if self.proc.poll() is not None: raise BrowserError(f'Chromium exited ({self.proc.returncode}); see {self.log.name}')
                continue
            chunk = os.read(self._r, 1 << 20)
            if not chunk: raise BrowserError(f'Chromium closed the DevTools pipe; see {self.log.name}')
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b'\0')
        return json.loads(msg)

    def call(self, method: str, session: bool = False, timeout: float | None = None, **params) -> dict:
        "Send one command and wait for its answer; events that arrive meanwhile go to `events`."
        self._id += 1
        msg = {'id': self._id, 'method': method, 'params': params}
        if session: msg['sessionId'] = self.session
        self._send(msg)
        deadline = time.monotonic() + (timeout or self.timeout)
        while (m := self._read(deadline)) is not None:
            if m.get('id') == self._id:
                if 'error' in m: raise BrowserError(f"{method}: {m['error'].get('message')}")
                return m.get('result', {})
            if 'method' in m: self.events.append(m)
        raise BrowserError(f'{method}: no answer from Chromium within {timeout or self.timeout:.0f} s')

    def wait_event(self, method: str, timeout: float | None = None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, e in enumerate(self.events):
                if e['method'] == method: return self.events.pop(i)
            m = self._read(deadline)
            if m is None: raise BrowserError(f'no {method} within {timeout or self.timeout:.0f} s')
            if 'method' in m: self.events.append(m)

    def evaluate(self, js: str, timeout: float | None = None):
        r = self.call('Runtime.evaluate', session=True, timeout=timeout, expression=js, awaitPromise=True, returnByValue=True)
        if 'exceptionDetails' in r: raise BrowserError(f"page script failed: {r['exceptionDetails'].get('text')}")
        return r['result'].get('value')

    def screenshot(self, path: Path, width: int, max_height: int):
        "A PNG of the page from its top, as tall as its content up to `max_height` pixels (the viewport grows to match)."
        h = min(int(self.evaluate('document.documentElement.scrollHeight')), max_height)
        self.call('Emulation.setDeviceMetricsOverride', session=True, width=width, height=h, deviceScaleFactor=1, mobile=False)
        try:
            self.evaluate('new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))')
            r = self.call('Page.captureScreenshot', session=True, format='png',
                          clip={'x': 0, 'y': 0, 'width': width, 'height': h, 'scale': 1})
        finally:
            self.call('Emulation.setDeviceMetricsOverride', session=True, width=width, height=self.height,
                      deviceScaleFactor=1, mobile=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(r['data']))

    def close(self):
        try:
            if self.proc.poll() is None:
                try: self._send({'id': 0, 'method': 'Browser.close'})
                except OSError: pass
                try: self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL); self.proc.wait(5)
        finally:
            for fd in (self._w, self._r):
                try: os.close(fd)
                except OSError: pass
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)


# Run in each page after its load event: waits for fonts, KaTeX and media metadata, then reports what it sees.
PAGE_PROBE = r"""
(async () => {
  const until = (ok, ms) => new Promise(res => { const t0 = Date.now();
    (function poll() { if (ok() || Date.now() - t0 > ms) res(ok()); else setTimeout(poll, 25); })(); });
  await until(() => document.documentElement.dataset.math !== undefined, 10000);
  await document.fonts.ready;
  const audios = [...document.querySelectorAll('audio')];
  await until(() => audios.every(a => a.readyState >= 1 || a.error), 10000);
  const imgs = [...document.images];
  await until(() => imgs.every(i => i.complete), 10000);
  const text = [...document.querySelectorAll('.cell.markdown, .output.markdown')].map(e => e.innerText).join('\n');
  return {
    title: document.title,
    math: document.querySelectorAll('.math').length,
    typeset: document.querySelectorAll('.math .katex').length,
    mathErrors: document.querySelectorAll('.math-error, .katex-error').length,
    rawDollars: (text.match(/\$\$|\\\(|\\\[/g) || []).length,
    katexFont: document.fonts.check('20px KaTeX_Main'),
    images: imgs.map(i => ({src: i.getAttribute('src').slice(0, 120), ok: i.complete && i.naturalWidth > 0,
                            w: i.naturalWidth})),
    audio: audios.map(a => ({ok: !a.error && a.readyState >= 1 && a.duration > 0, duration: a.duration,
                             error: a.error && a.error.message})),
    sidebar: document.querySelectorAll('nav.sidebar li').length,
  };
})()
"""


@dataclass
class PageReport:
    page: str
    errors: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    seconds: float = 0.


def _inside(url: str, root: Path) -> bool:
    u = urlsplit(url)
    if u.scheme in ('data', 'blob', 'about', 'chrome-error'): return True
    if u.scheme != 'file': return False
    return Path(unquote(u.path)).resolve().is_relative_to(root)

def check_page(b: Chromium, path: Path, root: Path) -> PageReport:
    "Open one page and collect every console error, exception, outside request, failed load, math and media problem."
    rep = PageReport(path.relative_to(root).as_posix())
    t0 = time.monotonic()
    b.events.clear()
    b.call('Page.navigate', session=True, url=path.as_uri())
    b.wait_event('Page.loadEventFired')
    rep.info = info = b.evaluate(PAGE_PROBE, timeout=40)
    requests = {}
    for e in b.events:
        m, p = e['method'], e.get('params', {})
        if m == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert'):
            rep.errors.append('console: ' + ' '.join(str(a.get('value', a.get('description', ''))) for a in p.get('args', [])))
        elif m == 'Runtime.exceptionThrown':
            d = p.get('exceptionDetails', {})
            rep.errors.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif m == 'Log.entryAdded' and p.get('entry', {}).get('level') == 'error':
            rep.errors.append(f"console: {p['entry'].get('text')} {p['entry'].get('url', '')}".strip())
        elif m == 'Network.requestWillBeSent':
            url = p['request']['url']
            requests[p['requestId']] = url
            if not _inside(url, root): rep.errors.append(f'request outside the site: {url[:200]}')
        elif m == 'Network.loadingFailed' and not p.get('canceled'):
            rep.errors.append(f"failed to load {requests.get(p['requestId'], '?')[:200]}: {p.get('errorText')}")
    if info['mathErrors']: rep.errors.append(f"{info['mathErrors']} formula(s) KaTeX could not typeset")
    if info['typeset'] != info['math']: rep.errors.append(f"{info['math'] - info['typeset']} formula(s) left untypeset")
    if info['rawDollars']: rep.errors.append(f"{info['rawDollars']} raw $$ or \\( \\[ delimiter(s) left in the text")
    if info['math'] and not info['katexFont']: rep.errors.append('KaTeX fonts did not load')
    rep.errors += [f"image does not show: {i['src']}" for i in info['images'] if not i['ok']]
    rep.errors += [f"audio does not load: {a['error'] or 'no metadata'}" for a in info['audio'] if not a['ok']]
    if not info['sidebar']: rep.errors.append('no navigation sidebar')
    rep.seconds = time.monotonic() - t0
    return rep

def site_pages(root: Path) -> list[Path]:
    "index.html first, then the other pages in path order."
    pages = [p for p in root.rglob('*.html') if not p.relative_to(root).as_posix().startswith((STATIC, SCREENS))]
    return sorted(pages, key=lambda p: (p.relative_to(root).as_posix() != 'index.html', len(p.relative_to(root).parts), p.as_posix()))

def check_site_in_browser(root: Path, screens: Path | None = None, chromium: str | None = None,
                          lesson: str | None = None, width: int = 1280, max_height: int = 2400) -> list[PageReport]:
    """Check every page of the site at `root`; save `index.png` and a lesson's screenshot in `screens`. The lesson is
    `lesson` (a page path such as '21_simclr.html') or the first page, after the home page, with an image, else with math."""
    root = Path(root).resolve()
    binary = find_chromium(chromium)
    if binary is None: raise BrowserError('Chromium not found: install it (Debian: apt-get install chromium) or set MUSICNB_CHROMIUM')
    pages = site_pages(root)
    if not pages: raise BrowserError(f'{root}: no HTML pages')
    b = Chromium(binary, width=width)
    reports = []
    try:
        for p in pages:
            reports.append(check_page(b, p, root))
            if screens is not None and p.name == 'index.html' and p.parent == root:
                b.screenshot(Path(screens)/'index.png', width, max_height)
        if screens is not None:
            pick = lesson or next((r.page for r in reports[1:] if r.info.get('images')), None) \
                   or next((r.page for r in reports[1:] if r.info.get('math')), None) or (reports[1].page if len(reports) > 1 else None)
            if pick:
                b.call('Page.navigate', session=True, url=(root/pick).as_uri()); b.wait_event('Page.loadEventFired')
                b.evaluate(PAGE_PROBE, timeout=40)
                b.screenshot(Path(screens)/(Path(pick).stem + '.png'), width, max_height)
    finally:
        b.close()
    return reports


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('site', nargs='?', type=Path, default=Path('_docs'))
    ap.add_argument('--screens', type=Path, help='folder for the screenshots (default: SITE/_screens)')
    ap.add_argument('--lesson', help="page to screenshot besides the home page, e.g. 21_simclr.html")
    ap.add_argument('--chromium', help='Chromium binary (default: $MUSICNB_CHROMIUM or chromium on PATH)')
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    screens = a.screens or a.site/SCREENS
    try: reports = check_site_in_browser(a.site, screens, a.chromium, a.lesson)
    except BrowserError as e:
        print(f'browser check: {e}', file=sys.stderr); return 2
    bad = [r for r in reports if r.errors]
    for r in bad:
        for e in r.errors: print(f'browser check: {r.page}: {e}', file=sys.stderr)
    n_math = sum(r.info.get('typeset', 0) for r in reports)
    n_img = sum(len(r.info.get('images', [])) for r in reports)
    n_audio = sum(len(r.info.get('audio', [])) for r in reports)
    print(f'browser check: {len(reports)} pages, {len(bad)} with problems; {n_math} formulas, {n_img} images, '
          f'{n_audio} audio players; {time.monotonic() - t0:.1f} s; screenshots in {screens.resolve()}')
    return 1 if bad else 0

if __name__ == '__main__':
    sys.exit(main())
