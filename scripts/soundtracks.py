#!/usr/bin/env python3
"""Build a small real-music corpus in musicnb's folder layout from free game soundtracks in Debian.

    python scripts/soundtracks.py DEST            # needs apt-get and dpkg-deb (Debian/Ubuntu), about 770 MB download, 420 MB corpus

DEST/soundtracks/<soundtrack>/<album>-<track>.ogg|opus: five game soundtracks,
144 tracks of 30 s to 14 min, 9.7 h in all. A class is a soundtrack, so this is a style / composer
task, not a genre task: it checks that the pipeline learns from real recordings (real instruments,
mixing, mastering, lossy codecs), not what a genre benchmark measures. Alternate versions of one piece
(`frantic` / `frantic-old`, `track3` / `track3_enhanced`, ...) are left out so that no piece is in two
parts of a split. DEST/soundtracks/SOURCES.md lists the packages, versions and licence files.

This is a data-preparation step a user runs once, like downloading GTZAN; nothing in musicnb calls it.
Then, for example:

    musicnb train --data DEST/soundtracks --layout folder --clip-seconds 30 --model dual-stream --out runs/st
"""
import argparse, shutil, subprocess, sys, tempfile
from pathlib import Path

PACKAGES = {  # label: (Debian package, folder of the music inside it)
    'wesnoth': ('wesnoth-1.16-music', 'usr/share/games/wesnoth/1.16/data/core/music'),
    'supertux': ('supertux-data', 'usr/share/games/supertux2/music'),
    'hedgewars': ('hedgewars-data', 'usr/share/games/hedgewars/Data/Music'),
    'warzone2100': ('warzone2100-music', 'usr/share/games/warzone2100/music'),
    'freedroidrpg': ('freedroidrpg-data', 'usr/share/freedroidrpg/data'),
}
# other versions of a piece kept under another name, and a spoken track
DROP = {'frantic-old', 'battle-epic', 'airship_remix', 'voc-daytime2', 'cave_old', 'fortress_old', 'forest2', 'forest3',
        'ghostforest2', 'tux_rap', 'track3_enhanced', 'menu_enhanced'}
MIN_SECONDS = 30.0

def die(msg): print(f"soundtracks: error: {msg}", file=sys.stderr); sys.exit(2)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('dest', type=Path, help='folder for the downloads and the corpus')
    ap.add_argument('--keep-debs', action='store_true', help='keep the downloaded .deb files')
    args = ap.parse_args(argv)
    for tool in ('apt-get', 'dpkg-deb'):
        if not shutil.which(tool): die(f"{tool} not found: this script needs a Debian or Ubuntu system")
    try: import soundfile as sf
    except ImportError: die("soundfile is not installed: run it with musicnb's Python")
    out = args.dest/'soundtracks'
    if out.exists(): die(f"{out} exists: remove it or choose another DEST")
    debs = args.dest/'debs'; debs.mkdir(parents=True, exist_ok=True)
    pkgs = [p for p, _ in PACKAGES.values()]
    missing = [p for p in pkgs if not list(debs.glob(f'{p}_*.deb'))]
    if missing:
        print(f"downloading {', '.join(missing)}", file=sys.stderr)
        r = subprocess.run(['apt-get', 'download', *missing], cwd=debs, capture_output=True, text=True)
        if r.returncode: die(f"apt-get download failed (run 'apt-get update' first?):\n{r.stderr.strip()}")
    tmp = Path(tempfile.mkdtemp(dir=args.dest, prefix='.build-'))
    sources = ['# Sources', '', '| label | package | tracks | licence file (in the package) |', '| --- | --- | --: | --- |']
    try:
        for label, (pkg, music) in PACKAGES.items():
            deb = sorted(debs.glob(f'{pkg}_*.deb'))[-1]
            x = tmp/pkg; subprocess.run(['dpkg-deb', '-x', str(deb), str(x)], check=True)
            n = 0
            for f in sorted((x/music).rglob('*')):
                if f.suffix.lower() not in ('.ogg', '.opus') or f.stem in DROP: continue
                try: dur = sf.info(str(f)).duration
                except Exception as e: print(f"  skipped {f.name}: {e}", file=sys.stderr); continue
                if dur < MIN_SECONDS: continue
                dst = tmp/'soundtracks'/label/f'{f.parent.name}-{f.name}'
                dst.parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, dst); n += 1
            sources.append(f"| {label} | {deb.name} | {n} | /usr/share/doc/{pkg}/copyright |")
            print(f"{label:13s} {n:3d} tracks from {deb.name}", file=sys.stderr)
        (tmp/'soundtracks'/'SOURCES.md').write_text('\n'.join(sources) + '\n')
        (tmp/'soundtracks').rename(out)       # the corpus appears whole or not at all
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep_debs: shutil.rmtree(debs, ignore_errors=True)
    print(out)

if __name__ == '__main__': main()
