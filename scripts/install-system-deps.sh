#!/usr/bin/env bash
# Installs the Debian packages the test suite needs: chromium (browser tests) and the
# PostgreSQL server binaries (the tests start a throwaway cluster of their own).
# Idempotent and quick when everything is present: it only checks paths.
# As root it installs what is missing; otherwise it says what to run and exits non-zero.
set -euo pipefail

missing=()

# Checked by path, not by package name, because that is what the tests look for.
if [[ ! -x /usr/bin/chromium ]]; then
    missing+=(chromium)
fi
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    missing+=(postgresql)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install-system-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Another apt/dpkg run may hold the lock (e.g. a parallel install): wait for it instead of failing.
apt_get=(apt-get -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3)

echo "install-system-deps: installing ${missing[*]}" >&2
# Skip `apt-get update` when the package lists are already good enough: it is the slow part.
if ! "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}"; then
    echo "install-system-deps: install failed; refreshing package lists and retrying" >&2
    "${apt_get[@]}" update
    "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}"
fi

# Re-check what the tests actually need, so a package that installs elsewhere is caught here.
status=0
if [[ ! -x /usr/bin/chromium ]]; then
    echo "install-system-deps: /usr/bin/chromium still missing after install" >&2
    status=1
fi
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    echo "install-system-deps: /usr/lib/postgresql/*/bin/initdb still missing after install" >&2
    status=1
fi
exit "$status"
