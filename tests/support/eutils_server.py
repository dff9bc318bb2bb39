"""A local stand-in for NCBI E-utilities: loopback, a random port, one thread per request.

It serves what ``esearch.fcgi`` and ``efetch.fcgi`` serve for PubMed: esearch as JSON (``retmode=json``) or XML,
with ``usehistory=y`` keeping the result set under a WebEnv and query_key; efetch as PubmedArticleSet XML in
the real element structure (MedlineCitation, Article, Abstract with labelled AbstractText, AuthorList,
PublicationTypeList, MeshHeadingList, KeywordList, PubmedData/ArticleIdList), from the history (``retstart``,
``retmax``) or from an ``id`` list (GET or POST). A WebEnv the server no longer holds gets what NCBI answers:
HTTP 400 with ``<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>``.

Scriptable faults (:meth:`EutilsServer.add_fault`): a status (429 with Retry-After, 500, 503), a slow answer,
a dropped connection; each after ``skip`` matching requests, ``times`` times (``None``: from then on).
``enforce_rate`` answers 429 like NCBI when more requests than allowed arrive within a second.
Every request is recorded (:attr:`EutilsServer.requests`: method, endpoint, parameters, raw query and body,
arrival time), so tests can assert what left the client.

    with eutils_server() as server:
        settings = LivePubmedSettings(base_url=server.url)
        server.add_fault("efetch", status=429, retry_after="1")
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from support.medline_xml import FOOTER, HEADER, Citation

HOST = "127.0.0.1"
PATH = "/entrez/eutils/"

# --- the synthetic records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticRecord:
    """One PubMed citation, as the fields MEDLINE XML carries."""

    pmid: str
    title: str
    abstract: tuple[tuple[str, str], ...]  # (label, text); label "" for an unstructured abstract
    year: int
    journal: str
    publication_types: tuple[str, ...] = ("Journal Article",)
    mesh: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    authors: tuple[tuple[str, str], ...] = (("Smith", "Jane"),)
    doi: str | None = None
    pmcid: str | None = None

    def searchable(self) -> str:
        parts = [self.title, *(t for _, t in self.abstract), *self.mesh, *self.keywords, *self.publication_types]
        return " ".join(parts).lower()

    def to_xml(self) -> str:
        """The record as a PubmedArticle (the one test writer of MEDLINE XML: support/medline_xml.py)."""
        return Citation(
            pmid=self.pmid, title=self.title, sections=self.abstract, journal=self.journal, year=self.year,
            authors=tuple((last, first[:1]) for last, first in self.authors),
            publication_types=self.publication_types, mesh=self.mesh, keywords=self.keywords, doi=self.doi,
            pmcid=self.pmcid,
        ).xml()


def article_set(records: Sequence[SyntheticRecord]) -> bytes:
    return (HEADER + "".join(r.to_xml() for r in records) + FOOTER).encode("utf-8")


MDA5_QUERY = "anti-MDA5 dermatomyositis interstitial lung disease"

_MDA5_DESIGNS = (
    ("Randomized Controlled Trial", "rituximab versus cyclophosphamide", "RESULTS",
     "Six-month survival was 78% with rituximab added to triple therapy and 61% with cyclophosphamide."),
    ("Observational Study", "tacrolimus and glucocorticoids", "RESULTS",
     "Patients treated early with tacrolimus had lower mortality from rapidly progressive interstitial lung disease."),
    ("Case Reports", "plasma exchange", "CASE PRESENTATION",
     "A woman with anti-MDA5 antibody-positive dermatomyositis improved after plasma exchange and rituximab."),
    ("Meta-Analysis", "combination immunosuppression", "CONCLUSIONS",
     "Combination immunosuppression improved survival in anti-MDA5 dermatomyositis with interstitial lung disease."),
    ("Review", "JAK inhibitors", "",
     "Tofacitinib has been reported to help refractory anti-MDA5 dermatomyositis with interstitial lung disease."),
)


def synthetic_records(n_mda5: int = 23) -> list[SyntheticRecord]:
    """``n_mda5`` citations on anti-MDA5 dermatomyositis with interstitial lung disease (varied designs and
    years), and a few on other topics that such a search must not return."""
    records: list[SyntheticRecord] = []
    for i in range(n_mda5):
        pub_type, treatment, label, finding = _MDA5_DESIGNS[i % len(_MDA5_DESIGNS)]
        year = 2012 + i % 12
        pmid = str(39000000 + i * 7)
        abstract = (
            ("BACKGROUND", "Anti-MDA5 antibody-positive dermatomyositis is often complicated by rapidly progressive "
                           "interstitial lung disease with high mortality."),
            ("METHODS", f"We studied {20 + i} adults with anti-MDA5 dermatomyositis and interstitial lung disease "
                        f"treated with {treatment}."),
            (label, finding) if label else ("", finding),
        )
        records.append(SyntheticRecord(
            pmid=pmid,
            title=f"{treatment.capitalize()} in anti-MDA5 dermatomyositis with interstitial lung disease: study {i + 1}",
            abstract=abstract, year=year, journal="Rheumatology (Oxford, England)",
            publication_types=("Journal Article", pub_type),
            mesh=("Dermatomyositis", "Lung Diseases, Interstitial", "Autoantibodies"),
            keywords=("MDA5", "rapidly progressive ILD"),
            authors=(("Tanaka", "Yuki"), ("Okamoto", "Hiro")),
            doi=f"10.1093/rheumatology/syn{pmid}", pmcid=f"PMC{9000000 + i}" if i % 3 == 0 else None,
        ))
    others = (
        ("Metformin and lactic acidosis in chronic kidney disease", "Metformin was not associated with lactic "
         "acidosis at an eGFR above 30 mL/min."),
        ("Montelukast neuropsychiatric events in children with asthma", "Montelukast was associated with sleep "
         "disturbance in children with asthma."),
        ("Lisinopril and angioedema in Black adults", "Angioedema occurred more often with lisinopril in Black adults."),
    )
    for j, (title, text) in enumerate(others):
        records.append(SyntheticRecord(
            pmid=str(38000000 + j), title=title, abstract=(("", text),), year=2019 + j,
            journal="BMJ", publication_types=("Journal Article", "Observational Study"),
        ))
    return records


# --- the server -----------------------------------------------------------------------------------------


@dataclass
class Fault:
    """A scripted misbehaviour for requests to ``endpoint`` ("esearch", "efetch", or None for any)."""

    endpoint: str | None
    status: int | None = None  # answer this HTTP status
    retry_after: str | None = None  # ... with this Retry-After header
    delay: float = 0.0  # wait this long before answering (or before dropping)
    drop: bool = False  # close the connection without an answer
    skip: int = 0  # let this many matching requests through first
    times: int | None = 1  # how many requests it hits; None: every one after the skipped ones
    seen: int = 0
    hits: int = 0

    def applies(self, endpoint: str) -> bool:
        if self.endpoint is not None and self.endpoint != endpoint:
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.hits >= self.times):
            return False
        self.hits += 1
        return True


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    endpoint: str  # "esearch", "efetch", or the path when it is neither
    params: dict[str, str]  # query string and form body together (last value wins)
    raw: str  # the request line's target and the body, as received: what left the client
    at: float  # time.monotonic() on arrival


@dataclass
class EutilsServer:
    records: list[SyntheticRecord]
    url: str = ""
    enforce_rate: float | None = None
    requests: list[ReceivedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    histories: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_fault(self, endpoint: str | None, **kwargs: object) -> Fault:
        fault = Fault(endpoint, **kwargs)  # type: ignore[arg-type]
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def expire_history(self) -> None:
        """Forget every WebEnv, as NCBI does after some hours."""
        with self.lock:
            self.histories.clear()

    def count(self, endpoint: str | None = None) -> int:
        return sum(1 for r in self.requests if endpoint is None or r.endpoint == endpoint)

    def of(self, endpoint: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.endpoint == endpoint]

    def all_text_received(self) -> str:
        return "\n".join(r.raw for r in self.requests)

    # --- PubMed's behaviour, in miniature -------------------------------------------------------------
    def search(self, term: str, sort: str | None) -> list[str]:
        clauses = _parse_term(term)
        matched: list[tuple[int, SyntheticRecord]] = []
        for record in self.records:
            text = record.searchable()
            if all(any(_phrase_in(alt, text) for alt in clause) for clause in clauses):
                score = sum(text.count(alt) for clause in clauses for alt in clause)
                matched.append((score, record))
        if sort == "relevance":
            matched.sort(key=lambda m: (-m[0], -int(m[1].pmid)))
        else:  # PubMed's default here: the newest first
            matched.sort(key=lambda m: (-m[1].year, -int(m[1].pmid)))
        return [r.pmid for _, r in matched]

    def by_pmid(self, pmids: Sequence[str]) -> list[SyntheticRecord]:
        index = {r.pmid: r for r in self.records}
        return [index[p] for p in pmids if p in index]


def _parse_term(term: str) -> list[list[str]]:
    """``a AND (b OR "c d")`` -> [["a"], ["b", "c d"]]; field tags ([tiab], [mh]) and brackets dropped; a clause
    without AND is one phrase per word (PubMed ANDs bare words)."""
    term = re.sub(r"\[[a-z ]+\]", " ", term, flags=re.I)
    clauses: list[list[str]] = []
    for clause in re.split(r"\s+AND\s+", term):
        clause = clause.strip().strip("()").strip()
        if not clause:
            continue
        alternatives = [a.strip().strip("()").strip().strip('"').lower() for a in re.split(r"\s+OR\s+", clause)]
        alternatives = [a for a in alternatives if a]
        if len(alternatives) == 1 and '"' not in clause and " AND " not in term:
            clauses.extend([[w] for w in alternatives[0].split()])
        elif alternatives:
            clauses.append(alternatives)
    return clauses


def _phrase_in(phrase: str, text: str) -> bool:
    return re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", text) is not None


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeEutils/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> EutilsServer:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: a test asserts on recorded requests, not on stderr

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._handle("")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length).decode("utf-8", "replace") if length else "")

    def _handle(self, body: str) -> None:
        split = urlsplit(self.path)
        endpoint = {"esearch.fcgi": "esearch", "efetch.fcgi": "efetch"}.get(split.path.rsplit("/", 1)[-1], split.path)
        params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        params.update({k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()})
        fake = self.fake
        now = time.monotonic()
        with fake.lock:
            fake.requests.append(ReceivedRequest(self.command, endpoint, params, self.path + "\n" + body, now))
            # Every fault counts every request it matches (its skip counts them), the first one hitting acts.
            hitting = [f for f in fake.faults if f.applies(endpoint)]
            fault = hitting[0] if hitting else None
            recent = sum(1 for r in fake.requests if now - r.at < 1.0)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if fault.status is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self._send(fault.status, "application/json", json.dumps({"error": "scripted fault"}).encode(), headers)
                return
        if fake.enforce_rate is not None and recent > fake.enforce_rate:
            self._send(429, "application/json", json.dumps(
                {"error": "API rate limit exceeded", "count": str(recent), "limit": str(fake.enforce_rate)}).encode())
            return
        if endpoint == "esearch":
            self._esearch(params)
        elif endpoint == "efetch":
            self._efetch(params)
        else:
            self._send(404, "text/plain", b"not an E-utility")

    def _esearch(self, params: dict[str, str]) -> None:
        fake = self.fake
        pmids = fake.search(params.get("term", ""), params.get("sort"))
        retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        result: dict[str, object] = {"count": str(len(pmids)), "retmax": str(min(retmax, len(pmids))),
                                     "retstart": str(retstart), "idlist": pmids[retstart:retstart + retmax]}
        if params.get("usehistory") == "y":
            webenv = params.get("WebEnv") or f"MCID_{uuid.uuid4().hex}"
            with fake.lock:
                keys = fake.histories.setdefault(webenv, {})
                query_key = str(len(keys) + 1)
                keys[query_key] = pmids
            result.update(webenv=webenv, querykey=query_key)
        if params.get("retmode") == "json":
            self._send(200, "application/json", json.dumps(
                {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": result}).encode())
            return
        ids = "".join(f"<Id>{p}</Id>" for p in result["idlist"])  # type: ignore[union-attr]
        history = (f"<QueryKey>{result['querykey']}</QueryKey><WebEnv>{result['webenv']}</WebEnv>"
                   if "webenv" in result else "")
        xml = (f'<?xml version="1.0" encoding="UTF-8" ?>\n<eSearchResult><Count>{result["count"]}</Count>'
               f"<RetMax>{result['retmax']}</RetMax><RetStart>{retstart}</RetStart>{history}"
               f"<IdList>{ids}</IdList></eSearchResult>")
        self._send(200, "text/xml", xml.encode())

    def _efetch(self, params: dict[str, str]) -> None:
        fake = self.fake
        if "id" in params:
            pmids = [p.strip() for p in params["id"].split(",") if p.strip()]
        else:
            webenv, query_key = params.get("WebEnv", ""), params.get("query_key", "")
            with fake.lock:
                held = fake.histories.get(webenv, {}).get(query_key)
            if held is None:
                xml = (f'<?xml version="1.0" encoding="UTF-8" ?>\n<eFetchResult><ERROR>Unable to obtain query '
                       f"#{query_key or 1}</ERROR></eFetchResult>")
                self._send(400, "text/xml", xml.encode())
                return
            retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
            pmids = held[retstart:retstart + retmax]
        self._send(200, "text/xml", article_set(fake.by_pmid(pmids)))

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def eutils_server(records: Sequence[SyntheticRecord] | None = None, *,
                  enforce_rate: float | None = None) -> Iterator[EutilsServer]:
    """A running fake E-utilities on 127.0.0.1 and a free port; ``server.url`` is its base address."""
    fake = EutilsServer(list(records if records is not None else synthetic_records()), enforce_rate=enforce_rate)
    httpd = ThreadingHTTPServer((HOST, 0), _Handler)
    httpd.daemon_threads = True  # a slow or dropped answer never holds up the teardown
    httpd.fake = fake  # type: ignore[attr-defined]
    fake.url = f"http://{HOST}:{httpd.server_address[1]}{PATH}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              name="fake-eutils", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """An E-utilities address on loopback where nothing listens (a dead endpoint)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    return f"http://{HOST}:{port}{PATH}"
