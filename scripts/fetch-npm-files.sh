#!/usr/bin/env bash
# Puts pinned files of one npm package into a folder, each checked against its sha256:
#
#   fetch-npm-files.sh PACKAGE VERSION DEST_DIR PATH_IN_PACKAGE:DEST_NAME:SHA256 ...
#
# Used by fetch-htmx.sh and fetch-swagger-ui.sh (the browser assets are git-ignored and fetched at setup).
# Skips the download when every file is there with its pinned hash. npm honours the user's registry and
# proxy settings; without npm, the tarball is downloaded from the npm registry directly.
set -euo pipefail

package=$1 version=$2 dest_dir=$3
shift 3
tag="fetch-npm-files ($package)"

fail() {
    echo "$tag: $*" >&2
    exit 1
}

sha256_of() {
    # sha256sum is in coreutils; python3 covers systems without it.
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
    fi
}

all_present=1
for entry in "$@"; do
    IFS=: read -r _src name sha <<<"$entry"
    if [[ ! -f "$dest_dir/$name" || "$(sha256_of "$dest_dir/$name")" != "$sha" ]]; then
        all_present=0
    fi
done
[[ $all_present == 1 ]] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tarball=""
if command -v npm >/dev/null 2>&1; then
    if name=$(cd "$tmp" && npm pack --silent "${package}@${version}" 2>"$tmp/npm.err" | tail -n 1) \
        && [[ -n "$name" && -f "$tmp/$name" ]]; then
        tarball="$tmp/$name"
    else
        echo "$tag: npm pack failed, downloading directly: $(tail -n 3 "$tmp/npm.err")" >&2
    fi
fi
if [[ -z "$tarball" ]]; then
    url="https://registry.npmjs.org/${package}/-/${package##*/}-${version}.tgz"
    tarball="$tmp/package.tgz"
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 -o "$tarball" "$url" || fail "could not download $url"
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
            "$url" "$tarball" || fail "could not download $url"
    else
        fail "need npm, curl or python3 to download $url"
    fi
fi

mkdir -p "$tmp/x"
sources=()
for entry in "$@"; do
    IFS=: read -r src _name _sha <<<"$entry"
    sources+=("package/$src")
done
tar -xzf "$tarball" -C "$tmp/x" "${sources[@]}" || fail "${package}@${version} lacks one of: ${sources[*]}"

for entry in "$@"; do
    IFS=: read -r src name sha <<<"$entry"
    got=$(sha256_of "$tmp/x/package/$src")
    [[ "$got" == "$sha" ]] || fail "$src has sha256 $got, expected $sha; nothing installed"
done

mkdir -p "$dest_dir"
for entry in "$@"; do
    IFS=: read -r src name _sha <<<"$entry"
    # Copy then rename, so a server reading the folder never sees half a file.
    cp "$tmp/x/package/$src" "$dest_dir/$name.tmp" && mv -f "$dest_dir/$name.tmp" "$dest_dir/$name"
done
echo "$tag: installed ${package} ${version} in ${dest_dir}" >&2
