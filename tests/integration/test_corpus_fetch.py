"""`curbside corpus fetch` against a loopback HTTP server: sizes and SHA-256 verified, a dropped connection
resumed with Range, a wrong checksum rejected with a clear message, intact files kept."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from curbside.cli.main import cli
from curbside.corpus.fetch import fetch_corpus, load_file_list
from curbside.errors import CorpusFetchError

ROOT = Path(__file__).resolve().parents[2]


class CorpusServer:
    """Serves ``files`` (path -> bytes) with Range support; ``drop_after[path] = n`` cuts the first response for
    that path after n bytes (the headers promise the whole file); every request is recorded."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.drop_after: dict[str, int] = {}
        self.ignore_range = False
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.lstrip("/").removeprefix("mirror/")
                server.requests.append((path, self.headers.get("Range")))
                body = server.files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                range_header = self.headers.get("Range")
                if range_header and not server.ignore_range:
                    start = int(range_header.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                part = body[start:]
                self.send_header("Content-Length", str(len(part)))
                self.end_headers()
                cut = server.drop_after.pop(path, None)
                if cut is not None:
                    self.wfile.write(part[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return  # the connection closes with the body incomplete
                self.wfile.write(part)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/mirror"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> CorpusServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture()
def corpus(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A small file list in the packaged format, and the bytes it describes."""
    files = {
        "uspstf/recommendations.jsonl": b'{"id": 1, "text": "screen adults aged 50 to 75"}\n' * 3000,
        "pubmedqa/ori_pqal.json": json.dumps({str(i): {"QUESTION": f"q{i}"} for i in range(4000)}).encode(),
        "mesh/names.tsv": b"descriptor_ui\tpreferred_name\nD000001\tCalcimycin\n",
    }
    entries = [{"path": p, "size": len(b), "sha256": hashlib.sha256(b).hexdigest(), "home": "test", "url": None}
               for p, b in files.items()]
    listing = tmp_path / "files.json"
    listing.write_text(json.dumps({"files": entries}), encoding="utf-8")
    return listing, files


def test_the_packaged_list_matches_the_shared_starter_corpus() -> None:
    entries = load_file_list()
    shared = ROOT.parent / "shared" / "corpus"
    assert {e.path for e in entries} >= {"uspstf/uspstf_recommendations.jsonl", "pubmedqa/ori_pqal.json",
                                          "medquad/medquad_answered.jsonl", "drug_labels/drugsatfda.zip"}
    assert all(len(e.sha256) == 64 and e.size > 0 and e.home for e in entries)
    if not shared.is_dir():
        pytest.skip("needs ../shared")
    for entry in entries:  # sizes only: hashing 90 MB is left to `corpus fetch` itself
        assert (shared / entry.path).stat().st_size == entry.size, entry.path


def test_fetch_verifies_and_resumes_a_dropped_connection(tmp_path: Path, corpus) -> None:
    listing, files = corpus
    dest = tmp_path / "dest"
    with CorpusServer(files) as server:
        server.drop_after["pubmedqa/ori_pqal.json"] = 10_000
        result = fetch_corpus(dest, mirror=server.url, file_list=listing)
        assert sorted(result.downloaded) == sorted(files) and result.resumed == ["pubmedqa/ori_pqal.json"]
        for path, body in files.items():
            assert (dest / path).read_bytes() == body
        assert not list(dest.rglob("*.part"))
        ranges = [r for p, r in server.requests if p == "pubmedqa/ori_pqal.json"]
        assert ranges[0] is None and ranges[1] == "bytes=10000-"  # the second request resumed, not restarted
        n_requests = len(server.requests)
        again = fetch_corpus(dest, mirror=server.url, file_list=listing)
        assert sorted(again.present) == sorted(files) and len(server.requests) == n_requests  # nothing fetched


def test_a_partial_file_from_an_interrupted_run_is_resumed(tmp_path: Path, corpus) -> None:
    listing, files = corpus
    dest = tmp_path / "dest"
    body = files["uspstf/recommendations.jsonl"]
    (dest / "uspstf").mkdir(parents=True)
    (dest / "uspstf" / "recommendations.jsonl.part").write_bytes(body[:5000])
    with CorpusServer(files) as server:
        result = fetch_corpus(dest, mirror=server.url, file_list=listing, only=["uspstf/recommendations.jsonl"])
        assert result.resumed == ["uspstf/recommendations.jsonl"] and result.bytes_downloaded == len(body) - 5000
        assert server.requests == [("uspstf/recommendations.jsonl", "bytes=5000-")]
        # a server that ignores Range sends the whole file: it is written from the start, not appended
        (dest / "uspstf" / "recommendations.jsonl").unlink()
        (dest / "uspstf" / "recommendations.jsonl.part").write_bytes(body[:5000])
        server.ignore_range = True
        fetch_corpus(dest, mirror=server.url, file_list=listing, only=["uspstf/recommendations.jsonl"])
    assert (dest / "uspstf" / "recommendations.jsonl").read_bytes() == body


def test_a_wrong_checksum_is_rejected_with_a_clear_message(tmp_path: Path, corpus) -> None:
    listing, files = corpus
    served = dict(files)
    original = files["pubmedqa/ori_pqal.json"]
    served["pubmedqa/ori_pqal.json"] = original[:-2] + b"X}"  # same size, other bytes
    served["mesh/names.tsv"] = files["mesh/names.tsv"] + b"D000002\tTemefos\n"  # longer
    dest = tmp_path / "dest"
    with CorpusServer(served) as server:
        with pytest.raises(CorpusFetchError) as caught:
            fetch_corpus(dest, mirror=server.url, file_list=listing)
    message = str(caught.value)
    assert "2 of 3 starter-corpus files could not be fetched" in message
    assert "pubmedqa/ori_pqal.json: checksum mismatch" in message and hashlib.sha256(original).hexdigest() in message
    assert "mesh/names.tsv" in message and "was not kept" in message
    assert not (dest / "pubmedqa" / "ori_pqal.json").exists() and not list(dest.rglob("*.part"))
    assert (dest / "uspstf" / "recommendations.jsonl").read_bytes() == files["uspstf/recommendations.jsonl"]


def test_the_cli_reports_failures_without_a_traceback(tmp_path: Path, corpus, monkeypatch) -> None:
    listing, files = corpus
    monkeypatch.setattr("curbside.corpus.fetch.load_file_list", lambda _path=None: _entries(listing))
    with CorpusServer({**files, "mesh/names.tsv": b"other"}) as server:
        result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "corpus", "fetch", "--mirror",
                                          server.url, "--json"])
    assert result.exit_code == 7, result.output
    assert "Error: 1 of 3 starter-corpus files could not be fetched" in result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "data" / "corpus" / "pubmedqa" / "ori_pqal.json").read_bytes() == files["pubmedqa/ori_pqal.json"]


def _entries(listing: Path):
    from curbside.corpus.fetch import CorpusFile

    return [CorpusFile(**e) for e in json.loads(listing.read_text(encoding="utf-8"))["files"]]


def test_files_without_a_public_download_need_a_mirror(tmp_path: Path) -> None:
    with pytest.raises(CorpusFetchError, match="no public download serves this file.*--mirror"):
        fetch_corpus(tmp_path, only=["ngc/ngc_public_domain.jsonl"])
