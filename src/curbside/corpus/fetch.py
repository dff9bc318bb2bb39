"""``curbside corpus fetch``: download the starter corpus, verify every file's size and SHA-256, resume partial files.

The list of files is data (``corpus/data/starter_files.json``): each file's path inside the corpus folder, its
size and SHA-256 as the starter corpus this release was built and tested against, its public home, and the
address it is downloaded from where one serves exactly those bytes. Many of the starter files are prepared
from their public sources (the USPSTF API, the NGC archive, MedQuAD's XML, the PMC open-access subset, the
MeSH descriptors), so they have no public download of their own: for those, and to get the whole snapshot
from one place, pass ``--mirror URL``, a folder laid out like the corpus (``URL/uspstf/...``) that a site can
serve from any copy (``python -m http.server`` in the corpus folder will do).

Every download goes to ``NAME.part`` first and is resumed from its size with an HTTP ``Range`` request when a
connection drops or a run is stopped; a server that ignores ranges sends the whole file again. Only a file
whose size and SHA-256 match the list is moved into place; a wrong checksum removes the part file and is
reported with both digests (the source has changed since this release, or the download was tampered with).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from curbside.errors import CorpusFetchError

MANIFEST_RESOURCE = "starter_files.json"
CHUNK_BYTES = 1 << 20
Progress = Callable[[str], None]


@dataclass(frozen=True)
class CorpusFile:
    path: str  # relative to the corpus folder, with forward slashes
    size: int
    sha256: str
    home: str  # where the data comes from (for people)
    url: str | None = None  # a public address serving exactly these bytes, where one is known


@dataclass
class FetchResult:
    dest: str
    downloaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # already there with the right size and checksum
    resumed: list[str] = field(default_factory=list)
    bytes_downloaded: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_file_list(path: Path | None = None) -> list[CorpusFile]:
    """The starter corpus's files (the packaged list, or ``path``)."""
    raw = path.read_text(encoding="utf-8") if path else (
        resources.files("curbside.corpus") / "data" / MANIFEST_RESOURCE).read_text(encoding="utf-8")
    return [CorpusFile(**entry) for entry in json.loads(raw)["files"]]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _intact(path: Path, entry: CorpusFile) -> bool:
    return path.is_file() and path.stat().st_size == entry.size and sha256_of(path) == entry.sha256


def _address(entry: CorpusFile, mirror: str | None) -> str | None:
    return f"{mirror.rstrip('/')}/{entry.path}" if mirror else entry.url


def _download(client: Any, url: str, part: Path, entry: CorpusFile, attempts: int, say: Progress) -> tuple[int, bool]:
    """Fill ``part`` up to ``entry.size`` bytes from ``url``, resuming with Range after a dropped connection.
    Returns (bytes received, whether a partial file was resumed)."""
    import httpx

    received = 0
    resumed = False
    for attempt in range(attempts):
        have = part.stat().st_size if part.exists() else 0
        if have > entry.size:  # not this file: start again
            part.unlink()
            have = 0
        if have == entry.size:
            return received, resumed
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 416:  # nothing after `have`: the server's file is shorter
                    raise CorpusFetchError(
                        f"{entry.path}: {url} has fewer bytes than the expected {entry.size:,}. The file at that "
                        "address is not the one this release lists; nothing was kept.")
                if response.status_code >= 400:
                    raise CorpusFetchError(f"{entry.path}: {url} answered HTTP {response.status_code}.")
                append = response.status_code == 206 and have > 0
                resumed = resumed or append
                with part.open("ab" if append else "wb") as out:
                    for block in response.iter_bytes():  # as received: a dropped connection keeps what came
                        out.write(block)
                        received += len(block)
                        if out.tell() > entry.size:
                            break
        except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
            have_now = part.stat().st_size if part.exists() else 0
            say(f"  {entry.path}: connection lost at {have_now:,} of {entry.size:,} bytes ({type(exc).__name__}); "
                "resuming")
            time.sleep(min(5.0, 0.2 * 2**attempt))
            continue
        if part.exists() and part.stat().st_size >= entry.size:
            return received, resumed
    have = part.stat().st_size if part.exists() else 0
    raise CorpusFetchError(
        f"{entry.path}: download from {url} still incomplete after {attempts} attempts ({have:,} of {entry.size:,} "
        "bytes kept in the .part file). Run the command again to resume.")


def fetch_corpus(dest: Path, *, mirror: str | None = None, only: Sequence[str] | None = None,
                 file_list: Path | None = None, attempts: int = 8, timeout: float = 30.0,
                 progress: Progress | None = None) -> FetchResult:
    """Download the starter corpus into ``dest`` (from ``mirror`` when given, else each file's public address),
    verifying every file's size and SHA-256 and resuming partial downloads. Files already there and intact are
    kept. Raises :class:`CorpusFetchError` naming every file that could not be fetched or verified; the files
    that were verified stay in place."""
    import httpx

    say = progress or (lambda _message: None)
    started = time.monotonic()
    entries = load_file_list(file_list)
    if only:
        unknown = sorted(set(only) - {e.path for e in entries})
        if unknown:
            raise CorpusFetchError(f"Not starter-corpus files: {', '.join(unknown)}.")
        entries = [e for e in entries if e.path in set(only)]
    result = FetchResult(dest=str(dest))
    failures: list[str] = []
    dest.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        for entry in entries:
            target = dest / entry.path
            if _intact(target, entry):
                result.present.append(entry.path)
                continue
            url = _address(entry, mirror)
            if url is None:
                failures.append(f"{entry.path}: no public download serves this file as prepared ({entry.home}); "
                                "pass --mirror URL with a copy of the starter corpus")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(target.name + ".part")
            say(f"Fetching {entry.path} ({entry.size:,} bytes) from {url}")
            try:
                received, resumed = _download(client, url, part, entry, attempts, say)
            except CorpusFetchError as exc:
                failures.append(str(exc))
                continue
            result.bytes_downloaded += received
            size = part.stat().st_size
            digest = sha256_of(part)
            if size != entry.size or digest != entry.sha256:
                part.unlink()
                failures.append(
                    f"{entry.path}: checksum mismatch for {url} (expected {entry.size:,} bytes, SHA-256 "
                    f"{entry.sha256}; got {size:,} bytes, {digest}). The file there is not the one this release "
                    "was built against (it may have been updated, or altered); it was not kept.")
                continue
            part.replace(target)
            result.downloaded.append(entry.path)
            if resumed:
                result.resumed.append(entry.path)
    result.seconds = round(time.monotonic() - started, 1)
    if failures:
        done = len(result.downloaded) + len(result.present)
        raise CorpusFetchError(
            f"{len(failures)} of {len(entries)} starter-corpus files could not be fetched ({done} are in {dest}, "
            "verified):\n  " + "\n  ".join(failures))
    return result


def write_file_list(corpus_dir: Path, out: Path, addresses: dict[str, dict[str, str | None]]) -> list[CorpusFile]:
    """Write the list of ``corpus_dir``'s starter files (every file the snapshot id covers, full texts included)
    with sizes and SHA-256 (``python -m curbside.corpus.fetch CORPUS_DIR OUT``); ``addresses`` gives each path's
    home and url (the existing list's, for a refresh)."""
    from curbside.corpus.starter import snapshot_files

    entries = []
    for path in snapshot_files(corpus_dir, include_fulltext=True):
        name = path.relative_to(corpus_dir).as_posix()
        known = addresses.get(name, {})
        entries.append(CorpusFile(path=name, size=path.stat().st_size, sha256=sha256_of(path),
                                  home=known.get("home") or "", url=known.get("url")))
    out.write_text(json.dumps({"files": [asdict(e) for e in entries]}, indent=1) + "\n", encoding="utf-8")
    return entries


def main(argv: Sequence[str] | None = None) -> int:
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m curbside.corpus.fetch CORPUS_DIR OUT_JSON", file=sys.stderr)
        return 2
    out = Path(args[1])
    known = {e.path: {"home": e.home, "url": e.url} for e in load_file_list(out if out.is_file() else None)}
    for entry in write_file_list(Path(args[0]), out, known):
        print(f"{entry.size:>12,}  {entry.sha256[:12]}  {entry.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
