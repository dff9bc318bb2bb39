#!/usr/bin/env bash
# Puts htmx (npm package htmx.org) into src/curbside/web/static/vendor/, git-ignored.
# The site works without it (plain links and forms); htmx only enhances it, so callers
# may treat a failure here as a warning.
# Skips the download when the file is there and matches the pinned hash.
set -euo pipefail

VERSION=2.0.11
# sha256 of dist/htmx.min.js and LICENSE in htmx.org-2.0.11.tgz from registry.npmjs.org
# (the tarball itself: 165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e).
HTMX_SHA256=d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717
LICENSE_SHA256=d3d2456f76414f2456104660ebd65aff1c04cd7966b942bdabd63f3cdb316a38
TARBALL_URL="https://registry.npmjs.org/htmx.org/-/htmx.org-${VERSION}.tgz"

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest_dir="$repo_root/src/curbside/web/static/vendor"
dest_js="$dest_dir/htmx.min.js"
dest_license="$dest_dir/htmx.LICENSE"

fail() {
    echo "fetch-htmx: $*" >&2
    echo "fetch-htmx: the site still works without htmx, it just is not enhanced" >&2
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

if [[ -f "$dest_js" && -f "$dest_license" && "$(sha256_of "$dest_js")" == "$HTMX_SHA256" ]]; then
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tarball=""
if command -v npm >/dev/null 2>&1; then
    # npm honours the user's registry/proxy settings; a failure falls through to a direct download.
    if name=$(cd "$tmp" && npm pack --silent "htmx.org@${VERSION}" 2>"$tmp/npm.err" | tail -n 1) \
        && [[ -n "$name" && -f "$tmp/$name" ]]; then
        tarball="$tmp/$name"
    else
        echo "fetch-htmx: npm pack failed, downloading directly: $(tail -n 3 "$tmp/npm.err")" >&2
    fi
fi
if [[ -z "$tarball" ]]; then
    tarball="$tmp/htmx.tgz"
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 3 -o "$tarball" "$TARBALL_URL" || fail "could not download $TARBALL_URL"
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
            "$TARBALL_URL" "$tarball" || fail "could not download $TARBALL_URL"
    else
        fail "need npm, curl or python3 to download $TARBALL_URL"
    fi
fi

mkdir -p "$tmp/x"
tar -xzf "$tarball" -C "$tmp/x" package/dist/htmx.min.js package/LICENSE \
    || fail "htmx.org-${VERSION} tarball lacks dist/htmx.min.js or LICENSE"

got=$(sha256_of "$tmp/x/package/dist/htmx.min.js")
[[ "$got" == "$HTMX_SHA256" ]] || fail "htmx.min.js sha256 is $got, expected $HTMX_SHA256; not installed"
got=$(sha256_of "$tmp/x/package/LICENSE")
[[ "$got" == "$LICENSE_SHA256" ]] || fail "htmx LICENSE sha256 is $got, expected $LICENSE_SHA256; not installed"

mkdir -p "$dest_dir"
# Copy then rename, so a server reading the folder never sees half a file.
cp "$tmp/x/package/LICENSE" "$dest_license.tmp" && mv -f "$dest_license.tmp" "$dest_license"
cp "$tmp/x/package/dist/htmx.min.js" "$dest_js.tmp" && mv -f "$dest_js.tmp" "$dest_js"
echo "fetch-htmx: installed htmx ${VERSION} in ${dest_dir#"$repo_root"/}" >&2
