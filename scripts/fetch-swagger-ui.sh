#!/usr/bin/env bash
# Puts Swagger UI (npm package swagger-ui-dist, Apache-2.0) into src/curbside/web/static/vendor/swagger-ui/,
# git-ignored, so /docs is served from this origin under the site's Content-Security-Policy and works offline.
# The API works without it; /docs then says how to fetch it, so callers may treat a failure as a warning.
set -euo pipefail

VERSION=5.32.0
# sha256 of each file in swagger-ui-dist-5.32.0.tgz from registry.npmjs.org
# (the tarball itself: 3c30bfe83d09763d14b4c88df0beade8ca162087a2fa5db3f34472f231ab3ba9).
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo_root/scripts/fetch-npm-files.sh" swagger-ui-dist "$VERSION" \
    "$repo_root/src/curbside/web/static/vendor/swagger-ui" \
    "swagger-ui-bundle.js:swagger-ui-bundle.js:d9bbb469128e88a974c78e76457c3910babb4649447d901af19a60335a09ee1e" \
    "swagger-ui.css:swagger-ui.css:b024df29b02b4943bf95cb835fce9d19d4559c14e374b0dd36a89b27a223a2da" \
    "LICENSE:LICENSE:cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30" \
    "NOTICE:NOTICE:0d20d1adef18aee3f40dd258172155521ce702ac445cb5f7b7d60ed32dad2fb2"
