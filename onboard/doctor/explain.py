"""Name the likely cause of a failed git/ssh/aws command from its output.

The knowledge is data (`causes.toml` beside this file): each cause has
weighted regexes over the output, the connection methods it applies to, a
prior for ties, the fix and its sources. The matcher only scores and ranks;
it holds no CodeCommit knowledge itself. When the text alone cannot decide
(a bare HTTP 403 has many causes) the result is "ambiguous" with ranked
candidates, and the doctor's checks confirm or rule them out (`rerank`).

Without an explicit method, the method is inferred from the CodeCommit URLs
the output shows (`infer_methods`), so that causes of other methods drop out.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

from onboard.doctor import METHODS as METHODS  # re-exported: callers use explain.METHODS
from onboard.errors import InvalidInput

DECISIVE_WEIGHT = 5
"""A pattern this heavy is specific enough to name a cause on its own."""

CONFIRMED_BONUS = 20
"""Score added to a cause a doctor check confirmed: evidence beats text."""

Verdict = Literal["not-a-failure", "explained", "ambiguous", "unknown"]

_CAUSES_FILE = Path(__file__).with_name("causes.toml")
_FLAGS = re.MULTILINE | re.IGNORECASE


@dataclass(frozen=True)
class Source:
    """Where a piece of knowledge comes from."""

    title: str
    url: str


@dataclass(frozen=True)
class Pattern:
    """One regex over command output and how much a match says."""

    regex: re.Pattern[str]
    weight: int


@dataclass(frozen=True)
class Cause:
    """A known reason for git failing against CodeCommit, with its fix."""

    id: str
    title: str
    methods: tuple[str, ...]
    prior: float
    checks: tuple[str, ...]
    patterns: tuple[Pattern, ...]
    cause: str
    fix: str
    sources: tuple[Source, ...]
    unless: tuple[re.Pattern[str], ...] = ()
    """Output matching any of these rules the cause out (e.g. a CodeCommit URL)."""
    precedence: int = 0
    """Ranks above every cause of lower precedence whatever the scores (e.g. "not CodeCommit")."""
    aliases: tuple[str, ...] = ()
    """The doctor's finer ids for this cause, which the text alone cannot tell apart
    (`access-key-inactive` and `access-key-deleted` are both `invalid-access-key`)."""

    def applies_to(self, method: str | None) -> bool:
        """True when the cause can happen with `method` (None: any method)."""
        return method is None or not self.methods or method in self.methods

    def applies_to_any(self, methods: Iterable[str]) -> bool:
        """True when the cause can happen with one of `methods` (none given: any)."""
        wanted = set(methods)
        return not wanted or not self.methods or bool(wanted & set(self.methods))


@dataclass(frozen=True)
class MethodHint:
    """Output that shows which connection method git used (e.g. a codecommit:// URL)."""

    methods: tuple[str, ...]
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Knowledge:
    """All causes plus the patterns that mean success and those that show the method."""

    causes: tuple[Cause, ...]
    success: tuple[Pattern, ...]
    method_hints: tuple[MethodHint, ...] = ()

    def by_id(self, cause_id: str) -> Cause:
        """The cause with this id or alias (KeyError if unknown)."""
        for cause in self.causes:
            if cause.id == cause_id or cause_id in cause.aliases:
                return cause
        raise KeyError(cause_id)

    def canonical(self, cause_id: str) -> str:
        """The cause id for `cause_id` (itself, or the cause it is an alias of; unknown: itself)."""
        try:
            return self.by_id(cause_id).id
        except KeyError:
            return cause_id


@dataclass(frozen=True)
class Candidate:
    """A cause that matched, its score and the output lines that matched."""

    cause: Cause
    score: int
    evidence: tuple[str, ...]
    decisive: bool
    confirmed: bool = False


@dataclass(frozen=True)
class Explanation:
    """What the output means: a verdict and the ranked candidate causes."""

    verdict: Verdict
    candidates: tuple[Candidate, ...]
    method: str | None = None
    inferred_methods: tuple[str, ...] = ()
    """Methods read from the URLs in the output when no method was given."""

    @property
    def top(self) -> Candidate | None:
        """The most likely cause, or None."""
        return self.candidates[0] if self.candidates else None

    @property
    def cause_ids(self) -> tuple[str, ...]:
        """Ids of the candidates, most likely first."""
        return tuple(candidate.cause.id for candidate in self.candidates)

    def to_json(self, limit: int = 5) -> dict[str, Any]:
        """A stable, documented JSON shape (see docs/doctor.md)."""
        return {
            "verdict": self.verdict,
            "method": self.method,
            "inferred_methods": list(self.inferred_methods),
            "candidates": [
                {
                    "id": c.cause.id,
                    "title": c.cause.title,
                    "score": c.score,
                    "decisive": c.decisive,
                    "confirmed": c.confirmed,
                    "evidence": list(c.evidence),
                    "cause": c.cause.cause,
                    "fix": c.cause.fix,
                    "sources": [{"title": s.title, "url": s.url} for s in c.cause.sources],
                }
                for c in self.candidates[:limit]
            ],
        }


def _patterns(raw: Iterable[Mapping[str, Any]], where: str) -> tuple[Pattern, ...]:
    compiled = []
    for item in raw:
        try:
            compiled.append(Pattern(re.compile(str(item["re"]), _FLAGS), int(item["weight"])))
        except (KeyError, re.error, ValueError) as exc:
            raise InvalidInput(
                f"bad pattern in {where}", str(exc), "fix the pattern in causes.toml"
            ) from exc
    return tuple(compiled)


def _regexes(raw: Iterable[Any], where: str) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(str(item), _FLAGS) for item in raw)
    except re.error as exc:
        raise InvalidInput(
            f"bad pattern in {where}", str(exc), "fix the pattern in causes.toml"
        ) from exc


def _method_hints(raw: Iterable[Mapping[str, Any]]) -> tuple[MethodHint, ...]:
    hints = []
    for item in raw:
        methods = tuple(str(m) for m in item.get("methods", []))
        if not methods or not set(methods) <= set(METHODS):
            raise InvalidInput(
                f"method_hint names unknown methods {list(methods)}", "", f"use {METHODS}"
            )
        hints.append(MethodHint(methods, _regexes([item.get("re", "")], "method_hint")[0]))
    return tuple(hints)


def parse_knowledge(document: Mapping[str, Any]) -> Knowledge:
    """Build the knowledge from a parsed causes.toml document."""
    causes = []
    seen: set[str] = set()
    for raw in document.get("cause", []):
        cause_id = str(raw["id"])
        aliases = tuple(str(a) for a in raw.get("aliases", []))
        for name in (cause_id, *aliases):
            if name in seen:
                raise InvalidInput(f"cause id {name} is defined twice", "", "keep one definition")
            seen.add(name)
        methods = tuple(str(m) for m in raw.get("methods", []))
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise InvalidInput(
                f"cause {cause_id} names unknown methods {unknown}", "", f"use {METHODS}"
            )
        causes.append(
            Cause(
                id=cause_id,
                title=str(raw["title"]),
                methods=methods,
                prior=float(raw.get("prior", 0.0)),
                checks=tuple(str(c) for c in raw.get("checks", [])),
                patterns=_patterns(raw.get("patterns", []), cause_id),
                cause=str(raw["cause"]),
                fix=str(raw["fix"]),
                sources=tuple(Source(str(s["title"]), str(s["url"])) for s in raw["sources"]),
                unless=_regexes(raw.get("unless", []), cause_id),
                precedence=int(raw.get("precedence", 0)),
                aliases=aliases,
            )
        )
    success = _patterns(document.get("success", {}).get("patterns", []), "success")
    return Knowledge(tuple(causes), success, _method_hints(document.get("method_hint", [])))


@cache
def load_knowledge(path: Path = _CAUSES_FILE) -> Knowledge:
    """The knowledge in `causes.toml` (parsed once per process)."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}", str(exc), "reinstall onboard") from exc
    return parse_knowledge(document)


def _line_of(text: str, match: re.Match[str]) -> str:
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    line = text[start : end if end != -1 else len(text)].strip()
    return line[:300]


def infer_methods(text: str, *, knowledge: Knowledge | None = None) -> tuple[str, ...]:
    """The connection methods the CodeCommit URLs in `text` use (empty: none shown)."""
    knowledge = knowledge or load_knowledge()
    found = {m for hint in knowledge.method_hints if hint.regex.search(text) for m in hint.methods}
    return tuple(m for m in METHODS if m in found)


def _score(cause: Cause, text: str) -> Candidate | None:
    if any(regex.search(text) for regex in cause.unless):
        return None
    score = 0
    decisive = False
    evidence: list[str] = []
    for pattern in cause.patterns:
        match = pattern.regex.search(text)
        if match is None:
            continue
        score += pattern.weight
        decisive = decisive or pattern.weight >= DECISIVE_WEIGHT
        line = _line_of(text, match)
        if line and line not in evidence:
            evidence.append(line)
    if score == 0:
        return None
    return Candidate(cause, score, tuple(evidence), decisive)


def _rank_key(candidate: Candidate) -> tuple[int, int, float, str]:
    cause = candidate.cause
    return (-cause.precedence, -candidate.score, -cause.prior, cause.id)


def _verdict(candidates: list[Candidate], success_score: int) -> Verdict:
    decisive = [c for c in candidates if c.decisive]
    if success_score >= DECISIVE_WEIGHT and not decisive:
        return "not-a-failure"
    if not candidates:
        return "unknown"
    top = candidates[0]
    if (top.decisive or top.confirmed) and (
        len(candidates) == 1 or top.score > candidates[1].score
    ):
        return "explained"
    return "ambiguous"


def explain(
    text: str, method: str | None = None, *, knowledge: Knowledge | None = None
) -> Explanation:
    """Rank the causes whose patterns match `text` (output of git, ssh or aws)."""
    if method is not None and method not in METHODS:
        raise InvalidInput(
            f"unknown method {method!r}", f"methods are {', '.join(METHODS)}", "pick one of them"
        )
    knowledge = knowledge or load_knowledge()
    inferred = infer_methods(text, knowledge=knowledge) if method is None else ()
    methods = (method,) if method is not None else inferred
    candidates = [
        candidate
        for cause in knowledge.causes
        if cause.applies_to_any(methods) and (candidate := _score(cause, text)) is not None
    ]
    candidates.sort(key=_rank_key)
    success_score = sum(p.weight for p in knowledge.success if p.regex.search(text))
    return Explanation(_verdict(candidates, success_score), tuple(candidates), method, inferred)


def rerank(
    explanation: Explanation,
    *,
    confirmed: Iterable[str] = (),
    ruled_out: Iterable[str] = (),
    knowledge: Knowledge | None = None,
) -> Explanation:
    """Re-rank with what the doctor's checks found.

    A confirmed cause moves up (and is added when the text did not name it
    but the checks did); a ruled-out cause is dropped. A confirmed alias (the
    doctor's finer id) confirms its cause; a ruled-out alias rules out only
    that refinement, never the cause (a key that is not inactive may be deleted).
    """
    knowledge = knowledge or load_knowledge()
    confirmed_ids = {knowledge.canonical(cause_id) for cause_id in confirmed}
    ruled_out_ids = set(ruled_out) - confirmed_ids
    candidates: dict[str, Candidate] = {}
    for candidate in explanation.candidates:
        if candidate.cause.id in ruled_out_ids:
            continue
        if candidate.cause.id in confirmed_ids:
            candidate = replace(candidate, score=candidate.score + CONFIRMED_BONUS, confirmed=True)
        candidates[candidate.cause.id] = candidate
    for cause_id in sorted(confirmed_ids - candidates.keys()):
        try:
            cause = knowledge.by_id(cause_id)
        except KeyError:
            continue
        if cause.applies_to(explanation.method):
            candidates[cause_id] = Candidate(cause, CONFIRMED_BONUS, (), False, confirmed=True)
    ranked = sorted(candidates.values(), key=_rank_key)
    verdict: Verdict = explanation.verdict
    if verdict != "not-a-failure":
        verdict = _verdict(ranked, 0)
    return replace(explanation, verdict=verdict, candidates=tuple(ranked))
