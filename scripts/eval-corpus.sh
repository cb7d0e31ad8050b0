#!/usr/bin/env bash
# Installs a real-world document corpus for the evaluation (`npm run eval`) into
#   $PARLEY_CACHE/eval-corpora/<name>/
# Its questions live in tests/fixtures/eval/<name>/questions.json.
#   scripts/eval-corpus.sh libreoffice-help
#   scripts/eval-corpus.sh python-docs
#
# libreoffice-help: the LibreOffice Help (en-US) from Debian's libreoffice-help-en-us package (7.4 on
# Debian 12; whatever apt offers elsewhere). The .deb is fetched with `apt-get download` and unpacked
# with `dpkg-deb -x`; it is never installed (it would pull in libreoffice-common). Only the *.html
# pages of usr/share/libreoffice/help/en-US/ are kept, with their relative paths
# (e.g. text/swriter/guide/pagenumbers.html). Idempotent: the package version is recorded in
# $PARLEY_CACHE/eval-corpora/<name>.version (beside the corpus, so it is not taken for a page) and
# nothing is done while it matches apt's candidate version. Needs root (or a writable apt cache).
#
# python-docs: the Python documentation (Sphinx HTML) from Debian's python3.X-doc package, the same
# way: python3.11-doc when apt offers it (Debian 12), else the newest python3.X-doc it offers
# (python3.13-doc on Debian 13). The *.html pages of usr/share/doc/python3.X/html/ are kept with
# their relative paths (e.g. library/os.path.html, tutorial/venv.html), without what is not a page of
# its own: _sources, _static, _images, _downloads, includes/ (fragments pulled into other pages), the
# generated indexes (genindex*.html, py-modindex.html, search.html, contents.html) and the huge
# whatsnew/changelog.html (Debian 12 ships it gzipped, so it is skipped there anyway).
source "$(dirname "$0")/lib.sh"

usage() { echo "usage: $0 libreoffice-help|python-docs" >&2; exit 64; }

[ $# -eq 1 ] || usage
name=$1
exclude=(-false)  # find tests for paths (relative to $subdir, as ./…) that are not copied
case "$name" in
  libreoffice-help)
    package=libreoffice-help-en-us
    subdir=usr/share/libreoffice/help/en-US
    ;;
  python-docs)
    package=python3.11-doc  # resolved against apt's lists by choose_package
    subdir=usr/share/doc/python3.11/html
    exclude=(-path './_*' -o -path ./includes -o -path './genindex*.html' -o -path ./py-modindex.html
      -o -path ./search.html -o -path ./contents.html -o -path ./whatsnew/changelog.html)
    ;;
  *) usage ;;
esac

base="$PARLEY_CACHE/eval-corpora"
dest="$base/$name"
marker="$base/$name.version"
mkdir -p "$base"
exec 9>"$base/.$name.lock"
flock 9 || true

candidate() { apt-cache policy "$package" 2>/dev/null | sed -n 's/^ *Candidate: *//p'; }
# python-docs: python3.11-doc if it has a candidate, else the newest python3.X-doc that has one.
choose_package() {
  [ "$name" = python-docs ] || return 0
  local p v
  for p in python3.11-doc $(apt-cache pkgnames python3. 2>/dev/null | grep -E '^python3\.[0-9]+-doc$' | sort -rV); do
    v=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    if [ -n "$v" ] && [ "$v" != "(none)" ]; then
      package=$p
      subdir=usr/share/doc/${p%-doc}/html
      return 0
    fi
  done
}
apt_update() {
  log "apt-get update"
  apt-get update -qq && touch /tmp/.parley-apt-updated
}
pages() { find "$dest" -type f -name '*.html' | wc -l; }

choose_package
version=$(candidate)
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  apt_update
  choose_package
  version=$(candidate)
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  [ "$name" = python-docs ] && package='python3.X-doc'
  log "apt offers no $package (is a Debian main archive in the sources?)"
  exit 1
fi

if [ -d "$dest" ] && [ "$(cat "$marker" 2>/dev/null)" = "$version" ] && [ "$(pages)" -gt 0 ]; then
  log "$name is up to date ($package $version): $(pages) pages in $dest"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$dest.new"' EXIT
chmod 755 "$tmp"  # apt-get download runs as the _apt user when it can; let it write here
log "downloading $package $version"
if ! (cd "$tmp" && apt-get download -qq "$package=$version" >/dev/null 2>"$tmp/err"); then
  # Stale or missing lists: refresh them once and try again with what apt offers then.
  apt_update
  choose_package
  version=$(candidate)
  (cd "$tmp" && apt-get download -qq "$package=$version" >/dev/null) \
    || { cat "$tmp/err" >&2; log "apt-get download $package failed"; exit 1; }
fi
deb=$(find "$tmp" -maxdepth 1 -name "${package}_*.deb" | head -n 1)
[ -n "$deb" ] || { log "apt-get download left no .deb in $tmp"; exit 1; }

dpkg-deb -x "$deb" "$tmp/root"
src="$tmp/root/$subdir"
[ -d "$src" ] || { log "$(basename "$deb") has no $subdir"; exit 1; }

rm -rf "$dest.new"
mkdir -p "$dest.new"
(cd "$src" && find . \( "${exclude[@]}" \) -prune -o -type f -name '*.html' \
  -exec cp --preserve=timestamps --parents -t "$dest.new" {} +)
count=$(find "$dest.new" -type f -name '*.html' | wc -l)
[ "$count" -gt 0 ] || { log "no HTML pages in $(basename "$deb")"; exit 1; }

rm -rf "$dest"
mv "$dest.new" "$dest"
printf '%s\n' "$version" >"$marker"
log "installed $name ($package $version): $count pages in $dest"
