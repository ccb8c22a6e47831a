"""Resident survey waves (docs/architecture.md, "Survey CSV"): import the coordinators' CSV,
one row per respondent, and summarise each wave's scale scores for the report.

A respondent's score on a scale is the mean of the scale's answered items (reverse-keyed items
scored 6 - answer), given when at least half of the scale's configured items (rounded up) are
answered; otherwise that scale has no score for them. Scores are computed at import, so the
report aggregates them in SQL, and a changed ``[survey]`` config applies to later imports.
Beyond the contract, an optional ``knows_exchange`` column (yes, no or empty) records whether
the respondent knows the exchange, and the optional loneliness scale (columns ``loneliness_1``
to ``loneliness_6``, answered ja, min of meer or nee) is scored as the De Jong Gierveld scale
(``bhc.surveys.loneliness``).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from bhc.config import SURVEY_SCALES, SurveyConfig
from bhc.localtime import local_date
from bhc.neighbourhoods.models import Neighbourhood
from bhc.neighbourhoods.scope import in_scope
from bhc.surveys import loneliness
from bhc.surveys.models import SurveyResponse, SurveyWave
from bhc.surveys.stats import SMALL, Moments, group, share, welch_difference

SCALES = SURVEY_SCALES
COLUMNS = ("wave", "neighbourhood", "respondent", "used_exchange")
KNOWS = "knows_exchange"
USES = ("no", "asker", "helper", "both")
_ITEM = re.compile(r"([a-z_]+)_(\d+)")

# Every problem as a code with its English sentence (the CLI's); the web UI translates codes.
MESSAGES = {
    "empty_file": "the file is empty",
    "missing_columns": "missing columns: {columns}",
    "unknown_columns": "unknown columns: {columns} (items are <scale>_<n> within the "
                       "configured number of items of the scale)",
    "duplicate_columns": "columns appear twice: {columns}",
    "too_many_values": "more values than columns",
    "wave_empty": "wave is empty",
    "wave_too_long": "wave {value!r} is longer than 40 characters",
    "neighbourhood_unknown": "neighbourhood {value!r} does not exist",
    "neighbourhood_not_yours": "neighbourhood {value!r} is not one you coordinate",
    "respondent_empty": "respondent is empty",
    "respondent_too_long": "respondent {value!r} is longer than 64 characters",
    "respondent_personal": "respondent {value!r} looks like an email address or phone "
                           "number; use a code that does not identify the person",
    "used_exchange_bad": "used_exchange {value!r} must be no, asker, helper or both",
    "knows_exchange_bad": "knows_exchange {value!r} must be yes, no or empty",
    "used_but_unknown": "used_exchange is {value!r} but knows_exchange is no",
    "item_bad": "{column} {value!r} must be a whole number from 1 to 5, or empty",
    "loneliness_bad": "{column} {value!r} must be ja, min of meer or nee (or yes, more or "
                      "less, no), or empty",
    "no_scores": "no scale has at least half of its items answered",
    "duplicate": "respondent {value!r} of this wave and neighbourhood is also on line {line}",
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with a file or a row: a code of MESSAGES and its values."""

    code: str
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, code: str, **values) -> Problem:
        return cls(code, tuple(values.items()))

    @property
    def params(self) -> dict[str, object]:
        return dict(self.values)

    def __str__(self) -> str:
        return MESSAGES[self.code].format(**self.params)


class SurveyFileError(ValueError):
    """The file as a whole cannot be imported (no header, wrong columns)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class RowError(ValueError):
    def __init__(self, code: str, **values) -> None:
        self.problem = Problem.of(code, **values)
        super().__init__(str(self.problem))


@dataclass
class SurveyImport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, Problem]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class SurveyRow:
    wave: str
    held_on: date | None
    neighbourhood: Neighbourhood
    respondent: str
    used_exchange: str
    knows_exchange: bool | None
    answers: dict[str, int | str]
    scores: dict[str, float | None]
    loneliness: loneliness.Loneliness


def wave_date(label: str) -> date | None:
    """The date a wave's name stands for: 2026-03-15, 15-03-2026 or a month, 2026-03."""
    for pattern, order in ((r"(\d{4})-(\d{1,2})-(\d{1,2})", (0, 1, 2)),
                           (r"(\d{1,2})-(\d{1,2})-(\d{4})", (2, 1, 0)),
                           (r"(\d{4})-(\d{1,2})", (0, 1, None))):
        found = re.fullmatch(pattern, label)
        if found:
            parts = [int(part) for part in found.groups()]
            year, month = parts[order[0]], parts[order[1]]
            day = parts[order[2]] if order[2] is not None else 1
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def _looks_personal(text: str) -> bool:
    return "@" in text or sum(c.isdigit() for c in text) >= 9


def score(answers: dict[str, int], items: list[str], reversed_items: frozenset[str]
          ) -> float | None:
    """The mean of the answered items (reverse-keyed ones as 6 - answer) if at least half of
    ``items`` (rounded up) are answered, else None."""
    given = [6 - answers[item] if item in reversed_items else answers[item]
             for item in items if item in answers]
    if not given or 2 * len(given) < len(items):
        return None
    return sum(given) / len(given)


def _check_header(fieldnames: list[str] | None, items: dict[str, list[str]]) -> list[str]:
    if not fieldnames:
        raise SurveyFileError(Problem.of("empty_file"))
    columns = [name.strip().lower() for name in fieldnames]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise SurveyFileError(Problem.of("duplicate_columns", columns=", ".join(twice)))
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise SurveyFileError(Problem.of("missing_columns", columns=", ".join(missing)))
    known = {*COLUMNS, KNOWS, *loneliness.ITEMS,
             *(item for scale in items.values() for item in scale)}
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise SurveyFileError(Problem.of("unknown_columns", columns=", ".join(unknown)))
    return columns


def parse_row(row: dict, neighbourhoods: dict[str, Neighbourhood], config: SurveyConfig,
              allowed: set[int] | None) -> SurveyRow:
    """Validate one CSV row; raises RowError naming the first bad column."""
    if row.get(None):
        raise RowError("too_many_values")
    value = {key: (text or "").strip() for key, text in row.items() if key is not None}
    wave = value.get("wave", "")
    if not wave:
        raise RowError("wave_empty")
    if len(wave) > 40:
        raise RowError("wave_too_long", value=wave)
    name = value.get("neighbourhood", "")
    neighbourhood = neighbourhoods.get(name.lower())
    if neighbourhood is None:
        raise RowError("neighbourhood_unknown", value=name)
    if allowed is not None and neighbourhood.id not in allowed:
        raise RowError("neighbourhood_not_yours", value=neighbourhood.name)
    respondent = value.get("respondent", "")
    if not respondent:
        raise RowError("respondent_empty")
    if len(respondent) > 64:
        raise RowError("respondent_too_long", value=respondent)
    if _looks_personal(respondent):
        raise RowError("respondent_personal", value=respondent)
    used = value.get("used_exchange", "").lower()
    if used not in USES:
        raise RowError("used_exchange_bad", value=value.get("used_exchange", ""))
    knows_text = value.get(KNOWS, "").lower()
    if knows_text not in ("", "yes", "no"):
        raise RowError("knows_exchange_bad", value=value.get(KNOWS, ""))
    knows = {"": None, "yes": True, "no": False}[knows_text]
    if knows is False and used != "no":
        raise RowError("used_but_unknown", value=used)
    items = config.items()
    answers: dict[str, int | str] = {}
    for scale_items in items.values():
        for item in scale_items:
            text = value.get(item, "")
            if not text:
                continue
            if text not in ("1", "2", "3", "4", "5"):
                raise RowError("item_bad", column=item, value=text)
            answers[item] = int(text)
    lonely_answers = _loneliness_answers(value)
    reversed_items = config.reversed_items()
    scores = {scale: score(answers, scale_items, reversed_items)
              for scale, scale_items in items.items()}
    lonely = loneliness.score(lonely_answers)
    if all(s is None for s in scores.values()) and not lonely.answered:
        raise RowError("no_scores")
    return SurveyRow(wave=wave, held_on=wave_date(wave), neighbourhood=neighbourhood,
                     respondent=respondent, used_exchange=used, knows_exchange=knows,
                     answers={**answers, **lonely_answers}, scores=scores, loneliness=lonely)


def _loneliness_answers(value: dict[str, str]) -> dict[str, str]:
    """The loneliness items answered, as ja, min of meer or nee; RowError on another answer."""
    answers = {}
    for item in loneliness.ITEMS:
        try:
            given = loneliness.answer(value.get(item, ""))
        except loneliness.BadAnswer:
            raise RowError("loneliness_bad", column=item, value=value[item]) from None
        if given is not None:
            answers[item] = given
    return answers


def _reader(text: str) -> csv.DictReader:
    """Comma-separated, or semicolon-separated as Dutch spreadsheets save "CSV"."""
    text = text.lstrip("\ufeff")
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return csv.DictReader(io.StringIO(text), delimiter=delimiter)


def import_survey(session: Session, text: str, config: SurveyConfig, now: datetime,
                  allowed: set[int] | None = None) -> SurveyImport:
    """Import every good row and report every bad one by its line number. A respondent already
    known in the wave and neighbourhood is updated. ``allowed``: the neighbourhood ids rows may
    be about (None: all). Raises SurveyFileError when the header is unusable."""
    reader = _reader(text)
    reader.fieldnames = _check_header(reader.fieldnames, config.items())
    neighbourhoods = {n.name.lower(): n for n in session.scalars(select(Neighbourhood))}
    result = SurveyImport()
    rows: list[SurveyRow] = []
    seen: dict[tuple[int, str, str], int] = {}
    for row in reader:
        line = reader.line_num
        try:
            parsed = parse_row(row, neighbourhoods, config, allowed)
            key = (parsed.neighbourhood.id, parsed.wave.lower(), parsed.respondent)
            if key in seen:
                raise RowError("duplicate", value=parsed.respondent, line=seen[key])
        except RowError as exc:
            result.errors.append((line, exc.problem))
            continue
        seen[key] = line
        rows.append(parsed)
    _save(session, rows, now, result)
    return result


def _save(session: Session, rows: list[SurveyRow], now: datetime, result: SurveyImport) -> None:
    """Upsert the rows: waves matched by neighbourhood and name (ignoring case), responses by
    wave and respondent; all existing ones fetched in two queries."""
    ids = {row.neighbourhood.id for row in rows}
    waves = {(w.neighbourhood_id, w.label.lower()): w for w in session.scalars(
        select(SurveyWave).where(SurveyWave.neighbourhood_id.in_(ids or {-1})))}
    responses = {(r.wave_id, r.respondent): r for r in session.scalars(
        select(SurveyResponse).where(SurveyResponse.wave_id.in_(
            [w.id for w in waves.values()] or [-1])))}
    for row in rows:
        wave = waves.get((row.neighbourhood.id, row.wave.lower()))
        if wave is None:
            wave = SurveyWave(neighbourhood_id=row.neighbourhood.id, label=row.wave,
                              held_on=row.held_on, created_at=now)
            session.add(wave)
            waves[(row.neighbourhood.id, row.wave.lower())] = wave
        wave.updated_at = now
        if wave.id is None:
            session.flush()
        response = responses.get((wave.id, row.respondent))
        if response is None:
            response = SurveyResponse(wave_id=wave.id, respondent=row.respondent)
            session.add(response)
            responses[(wave.id, row.respondent)] = response
            result.created += 1
        else:
            result.updated += 1
        response.used_exchange = row.used_exchange
        response.knows_exchange = row.knows_exchange
        response.answers = row.answers
        for scale, value in row.scores.items():
            setattr(response, scale, value)
        response.loneliness = row.loneliness.total
        response.loneliness_emotional = row.loneliness.emotional
        response.loneliness_social = row.loneliness.social
    session.flush()


@dataclass(frozen=True)
class WaveListing:
    neighbourhood: str
    label: str
    held_on: date | None
    respondents: int
    updated_at: datetime


def list_waves(session: Session, neighbourhood_ids: set[int] | None) -> list[WaveListing]:
    """The waves the user may see with their number of respondents, newest first."""
    query = (select(Neighbourhood.name, SurveyWave.label, SurveyWave.held_on,
                    func.count(SurveyResponse.id), SurveyWave.updated_at)
             .join(SurveyWave, SurveyWave.neighbourhood_id == Neighbourhood.id)
             .outerjoin(SurveyResponse, SurveyResponse.wave_id == SurveyWave.id)
             .group_by(Neighbourhood.name, SurveyWave.id, SurveyWave.label, SurveyWave.held_on,
                       SurveyWave.updated_at)
             .order_by(Neighbourhood.name, SurveyWave.created_at.desc(), SurveyWave.id.desc()))
    query = in_scope(query, Neighbourhood.id, neighbourhood_ids)
    return [WaveListing(*row) for row in session.execute(query)]


def survey_summary(session: Session, until: datetime,
                   neighbourhood_ids: list[int] | None = None,
                   lonely_from: int = SurveyConfig.lonely_from) -> list[dict]:
    """Every wave held before ``until`` (naive UTC, e.g. the end of the report's month; a wave
    without a date counts from its import), oldest first; per neighbourhood its respondents
    and per scale the mean with its 95% interval for everyone, for residents who used the
    exchange (as asker, helper or both) and for those who did not, and the difference used
    minus not used (Welch). Where the wave asked about loneliness, ``loneliness`` gives the
    same for the De Jong Gierveld total and both subscales, and the share of respondents with
    a total of at least ``lonely_from``. Waves of the same name in several neighbourhoods form
    one entry. Groups under 5 have no mean and no share."""
    local_day = local_date(until)
    waves = select(SurveyWave.id, SurveyWave.label, SurveyWave.held_on, SurveyWave.created_at,
                   Neighbourhood.name).join(Neighbourhood).where(or_(
                       SurveyWave.held_on < local_day,
                       SurveyWave.held_on.is_(None) & (SurveyWave.created_at < until)))
    waves = in_scope(waves, SurveyWave.neighbourhood_id, neighbourhood_ids)
    wave_rows = session.execute(waves).all()
    if not wave_rows:
        return []
    moments = _moments(session, [row.id for row in wave_rows], lonely_from)

    entries: dict[str, dict] = {}
    for row in sorted(wave_rows, key=lambda r: (r.held_on or r.created_at.date(), r.label)):
        entry = entries.setdefault(row.label.lower(), {
            "wave": row.label, "held_on": row.held_on.isoformat() if row.held_on else None,
            "neighbourhoods": []})
        entry["neighbourhoods"].append(_wave_figures(row.name, moments[row.id], lonely_from))
    for entry in entries.values():
        entry["neighbourhoods"].sort(key=lambda n: n["name"])
    return list(entries.values())


# The loneliness figures of the report and the response columns they come from.
LONELINESS_SCORES = {"total": "loneliness", "emotional": "loneliness_emotional",
                     "social": "loneliness_social"}
_SCORED = (*SCALES, *LONELINESS_SCORES.values())


def _moments(session: Session, wave_ids: list[int], lonely_from: int) -> dict[int, dict]:
    """Per wave and used/not used: respondents, knows-the-exchange counts, each score's count,
    sum and sum of squares, and how many have a loneliness total of at least ``lonely_from``,
    in one grouped statement."""
    used = case((SurveyResponse.used_exchange == "no", 0), else_=1)
    knows = SurveyResponse.knows_exchange
    columns = [func.count(), func.sum(case((knows.is_(True), 1), else_=0)), func.count(knows),
               func.sum(case((SurveyResponse.loneliness >= lonely_from, 1), else_=0))]
    for scale in _SCORED:
        column = getattr(SurveyResponse, scale)
        columns += [func.count(column), func.coalesce(func.sum(column), 0.0),
                    func.coalesce(func.sum(column * column), 0.0)]
    rows = session.execute(
        select(SurveyResponse.wave_id, used, *columns)
        .where(SurveyResponse.wave_id.in_(wave_ids)).group_by(SurveyResponse.wave_id, used))
    found: dict[int, dict] = defaultdict(lambda: {"respondents": [0, 0], "knows": 0,
                                                  "knows_answered": 0, "lonely": [0, 0],
                                                  "scales": {}})
    for wave_id, was_used, respondents, knows_yes, knows_answered, lonely, *sums in rows:
        figures = found[wave_id]
        figures["respondents"][was_used] = respondents
        figures["knows"] += knows_yes
        figures["knows_answered"] += knows_answered
        figures["lonely"][was_used] = lonely
        for index, scale in enumerate(_SCORED):
            n, total, squares = sums[3 * index:3 * index + 3]
            figures["scales"].setdefault(scale, [Moments(), Moments()])[was_used] = Moments(
                n, float(total), float(squares))
    return found


def _compared(never: Moments, ever: Moments) -> dict:
    """One score for everyone, for those who used the exchange and for those who did not, and
    the difference used minus not used."""
    return {**group(never + ever), "used": group(ever), "not_used": group(never),
            "difference": welch_difference(ever, never)}


def _wave_figures(name: str, raw: dict, lonely_from: int) -> dict:
    not_used, used = raw["respondents"]
    scales = {}
    for scale in SCALES:
        never, ever = raw["scales"].get(scale, [Moments(), Moments()])
        if not (never + ever).n:
            continue  # the scale was not asked in this wave
        scales[scale] = _compared(never, ever)
    figures = {"name": name, "respondents": not_used + used, "used_exchange": used,
               "knows_exchange": raw["knows"],
               "knows_exchange_answered": raw["knows_answered"], "scales": scales}
    lonely = _loneliness_figures(raw, lonely_from)
    if lonely is not None:
        figures["loneliness"] = lonely
    return figures


def _loneliness_figures(raw: dict, lonely_from: int) -> dict | None:
    """The De Jong Gierveld total and subscales compared as the other scales, and the share
    of totals from ``lonely_from``; None when nobody in the wave answered about loneliness."""
    scores = {key: raw["scales"].get(column, [Moments(), Moments()])
              for key, column in LONELINESS_SCORES.items()}
    if not any((never + ever).n for never, ever in scores.values()):
        return None
    (never, ever), (lonely_never, lonely_ever) = scores["total"], raw["lonely"]
    return {**{key: _compared(*pair) for key, pair in scores.items()},
            "lonely": {"from": lonely_from, **share(lonely_never + lonely_ever, never.n + ever.n),
                       "used": share(lonely_ever, ever.n),
                       "not_used": share(lonely_never, never.n)}}


# The survey for sharing (CSV, PDF): group sizes under 5 as "<5", their means left out.
SHAREABLE_COLUMNS = ("wave", "neighbourhood", "scale", "n", "mean", "ci95_low", "ci95_high",
                     "used_n", "used_mean", "not_used_n", "not_used_mean", "difference",
                     "difference_ci95_low", "difference_ci95_high",
                     "lonely_from", "lonely_share", "used_lonely_share", "not_used_lonely_share")


def _count(n: int) -> int | str:
    return "<5" if 0 < n < SMALL else n


def shareable_rows(survey: list[dict]) -> list[dict]:
    """One row per wave, neighbourhood and scale (the loneliness total as ``loneliness``, its
    subscales as ``loneliness_emotional`` and ``loneliness_social``), small groups
    suppressed."""
    rows = []
    for wave in survey:
        for place in wave["neighbourhoods"]:
            scales = dict(place["scales"])
            lonely = place.get("loneliness")
            if lonely:
                scales.update((column, lonely[key])
                              for key, column in LONELINESS_SCORES.items())
            for scale, figures in scales.items():
                row = {"wave": wave["wave"], "neighbourhood": place["name"], "scale": scale,
                       **_shareable_figures(figures)}
                if lonely and scale == LONELINESS_SCORES["total"]:
                    row.update(lonely_from=lonely["lonely"]["from"],
                               lonely_share=_blank(lonely["lonely"]["share"]),
                               used_lonely_share=_blank(lonely["lonely"]["used"]["share"]),
                               not_used_lonely_share=_blank(
                                   lonely["lonely"]["not_used"]["share"]))
                rows.append(row)
    return rows


def _shareable_figures(figures: dict) -> dict:
    difference = figures["difference"] or {}
    low, high = figures["ci95"] or ("", "")
    diff_low, diff_high = difference.get("ci95") or ("", "")
    return {"n": _count(figures["n"]), "mean": _blank(figures["mean"]),
            "ci95_low": low, "ci95_high": high,
            "used_n": _count(figures["used"]["n"]),
            "used_mean": _blank(figures["used"]["mean"]),
            "not_used_n": _count(figures["not_used"]["n"]),
            "not_used_mean": _blank(figures["not_used"]["mean"]),
            "difference": _blank(difference.get("difference")),
            "difference_ci95_low": diff_low, "difference_ci95_high": diff_high}


def _blank(value: float | None) -> float | str:
    return "" if value is None else value


def to_csv(survey: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SHAREABLE_COLUMNS, restval="",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(shareable_rows(survey))
    return buffer.getvalue()
