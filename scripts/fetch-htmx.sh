#!/usr/bin/env bash
# Puts htmx (npm package htmx.org) into src/curbside/web/static/vendor/, git-ignored.
# The site works without it (plain links and forms); htmx only enhances it, so callers
# may treat a failure here as a warning.
# Skips the download when the file is there and matches the pinned hash (scripts/fetch-npm-files.sh).
set -euo pipefail

VERSION=2.0.11
# sha256 of dist/htmx.min.js and LICENSE in htmx.org-2.0.11.tgz from registry.npmjs.org
# (the tarball itself: 165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e).
HTMX_SHA256=d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717
LICENSE_SHA256=d3d2456f76414f2456104660ebd65aff1c04cd7966b942bdabd63f3cdb316a38
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo_root/scripts/fetch-npm-files.sh" htmx.org "$VERSION" "$repo_root/src/curbside/web/static/vendor" \
    "dist/htmx.min.js:htmx.min.js:$HTMX_SHA256" "LICENSE:htmx.LICENSE:$LICENSE_SHA256" \
    || { echo "fetch-htmx: the site still works without htmx, it just is not enhanced" >&2; exit 1; }
