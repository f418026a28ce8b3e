#!/usr/bin/env bash
# Build the workbook's offline HTML site into _docs/ (nbdev's doc_path) from the notebooks and the outputs stored
# in them; nothing is executed. The home page is nbs/index.ipynb (the learning path).
#   bash scripts/docs.sh            build _docs/ and check its links and assets (no page loads anything from outside)
#   bash scripts/docs.sh --check    also open every page in headless Chromium (Debian: apt-get install chromium):
#                                   no console errors, no outside requests, math typeset, images and audio load;
#                                   screenshots land in _docs/_screens/
# KaTeX (math) is fetched once with npm, pinned and checked, into ~/.cache/musicnb-tools. Users with Quarto can
# still run `nbdev_docs`, which writes the same _docs/ folder.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "docs: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done
source scripts/_env.sh
start=$(date +%s)
if ! python docs/build_site.py --nbs nbs --out _docs --force; then
  echo "docs: FAILED to build the site (see the messages above)" >&2
  exit 1
fi
if [ "$check" = 1 ]; then
  if ! python docs/browser_check.py _docs --screens _docs/_screens; then
    echo "docs: FAILED the browser check (see the messages above)" >&2
    exit 1
  fi
fi
echo "docs: site ready in $(( $(date +%s) - start )) s: open $(pwd -P)/_docs/index.html"
