"""Summary models -> Markdown, Jira wiki markup, one self-contained HTML page, or JSON.

Templates live in ``sync/summary/templates/`` (``summary.md.j2``,
``summary.jira.j2``, ``summary.html.j2``, ``retro.md.j2``,
``retro.jira.j2``). An admin's ``summary.templates`` directory is searched
first, ours after it; ours are also reachable as ``forewarn/<name>`` so an
admin template can ``{% extends "forewarn/summary.md.j2" %}`` and override
one block.

Escaping is automatic: every ``{{ value }}`` that is a plain string is
escaped for the target markup (``sync/escape.py``: no mentions, no markup,
no markers, no direction tricks) unless it is already ``Safe`` text made by
the helpers (``t``, ``h``) or passed through ``|safe`` on purpose. So a
template, ours or an admin's, cannot put a tracker title in a comment raw.
Only the people in the project's ``notify`` are mentioned (``h.mentions``).

GitHub refuses comments over 65,536 characters and Jira over 32,767: a
longer body is cut at a line, code fences closed, and a note says so.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import jinja2
import markupsafe

from connectors.markers import Marker
from sync import escape, words
from sync.render import Audience, Style, headline, parse_evidence
from sync.summary.charts import burned, burnup_svg, tick
from sync.summary.model import (
    AwaitingReply,
    BurnupPoint,
    ChangeItem,
    DueDate,
    FeedbackKpis,
    MilestoneSummary,
    Progress,
    ProjectSummary,
    Retrospective,
    Risk,
    Scope,
)
from sync.summary.text import TEXT

Flavor = Literal["md", "jira", "html"]
Format = Literal["md", "jira", "html", "json"]
FORMATS: tuple[Format, ...] = ("md", "jira", "html", "json")
#: The most characters a comment may hold, per tracker markup.
LIMITS: dict[Flavor, int] = {"md": 65_536, "jira": 32_767}
#: Issues listed by name in one scope list; the rest are counted.
LIST_LIMIT = 20
_SEVERITY_ICON = {"info": "ℹ️", "warning": "⚠️", "critical": "🚨"}
_HEALTH_ICON = {"on_track": "🟢", "at_risk": "🟡", "off_track": "🔴", "no_due_date": "⚪",
                "done": "✅"}
_SAFE_URL = re.compile(r"^https?://[A-Za-z0-9._~:/?#&=%+,;!*'-]+$")
_TEMPLATES = "templates"
_PERIOD = re.compile(r"^\d{4}-(W\d{2}|\d{2}-\d{2})$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z_]+))?\}")


class Safe(str):
    """Text already fit for its markup: the escaping finalizer lets it through."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


class _Shown:
    """A catalogue value, formatted when the template asks, with its format spec."""

    __slots__ = ("helpers", "value")

    def __init__(self, value: Any, helpers: Helpers) -> None:
        self.value = value
        self.helpers = helpers

    def __format__(self, spec: str) -> str:
        return self.helpers._value(self.value, spec)


class _HtmlStyle(Style):
    """The alerts' messages (rule headlines) with their values escaped for HTML."""

    __slots__ = ()

    def escape(self, value: str, limit: int = escape.MAX_CHARS) -> str:
        return str(markupsafe.escape(escape.plain(value, limit)))


def escaper(flavor: Flavor) -> Callable[[Any, int], Safe]:
    def escape_for(value: Any, limit: int = escape.MAX_CHARS) -> Safe:
        if isinstance(value, Safe) or hasattr(value, "__html__"):
            return Safe(value)
        text = str(value)
        if flavor == "md":
            return Safe(escape.markdown(text, limit))
        if flavor == "jira":
            return Safe(escape.wiki(text, limit))
        return Safe(markupsafe.escape(escape.plain(text, limit)))

    return escape_for


@functools.lru_cache(maxsize=32)
def environment(flavor: Flavor, templates: str | None = None) -> jinja2.Environment:
    """Admin templates first, ours as the fallback (and as ``forewarn/<name>``)."""
    ours = jinja2.PackageLoader("sync.summary", _TEMPLATES)
    loaders: list[jinja2.BaseLoader] = []
    if templates:
        loaders.append(jinja2.FileSystemLoader(templates))
    loaders += [ours, jinja2.PrefixLoader({"forewarn": ours})]
    escape_for = escaper(flavor)

    def finalize(value: Any) -> Any:
        return escape_for(value, escape.MAX_CHARS) if isinstance(value, str) else value

    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # Escaping for Markdown, wiki markup and HTML alike is done by ``finalize``.
        autoescape=False,  # noqa: S701
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class Helpers:
    """What templates call: translated text and formatted values, all ``Safe``."""

    flavor: Flavor
    language: str
    timezone: str
    jira_cloud: bool = True
    #: Who reads it: the alerts it lists speak in that voice (``sync/render.py``).
    audience: Audience = "team"

    @property
    def style(self) -> Style:
        markup: Literal["markdown", "jira"] = "jira" if self.flavor == "jira" else "markdown"
        if self.flavor == "html":
            return _HtmlStyle(markup=markup, language=self.language, timezone=self.timezone,
                              audience=self.audience)
        return Style(markup=markup, language=self.language, timezone=self.timezone,
                     jira_cloud=self.jira_cloud, audience=self.audience)

    # -- text --------------------------------------------------------------------------------

    def e(self, value: Any, limit: int = escape.MAX_CHARS) -> Safe:
        return escaper(self.flavor)(value, limit)

    def t(self, key: str, **values: Any) -> Safe:
        """The catalogue text for ``key`` in this language; string values are escaped.

        A placeholder may name a counted noun of ``sync.words.NOUNS`` (``{total:issue}``):
        the number then takes the plural form the language's rules pick.
        """
        table = TEXT.get(self.language, TEXT["en"])
        template = table.get(key) or TEXT["en"][key]
        if self.flavor != "html":
            return Safe(template.format(**{name: _Shown(v, self) for name, v in values.items()}))
        # The catalogue is trusted text but may hold &, < or >: escape it, keep the values.
        out: list[str] = []
        end = 0
        for match in _PLACEHOLDER.finditer(template):
            out.append(str(markupsafe.escape(template[end:match.start()])))
            out.append(format(_Shown(values[match[1]], self), match[2] or ""))
            end = match.end()
        out.append(str(markupsafe.escape(template[end:])))
        return Safe("".join(out))

    def _value(self, value: Any, spec: str = "") -> str:
        if isinstance(value, Safe) or hasattr(value, "__html__"):
            return str(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if spec == "point" and float(value).is_integer():
                value = int(value)  # 13 points, not 13.0 (sizes are shown as they were set)
            if spec in words.NOUNS:
                return words.count(value, spec, self.language)
            return words.number(value, self.language)
        if isinstance(value, datetime):
            return self.when(value)
        if isinstance(value, date):
            return self.day(value)
        if isinstance(value, str) and _PERIOD.match(value):
            return value  # a period forewarn named (2026-W48, 2026-11-25): nothing to escape
        return self.e(str(value))

    def when(self, value: datetime | None) -> Safe:
        if value is None:
            return Safe("—")
        # Words, digits and the UTC offset (never "CST"): nothing a markup could misread.
        return Safe(self.style.when(value))

    def day(self, value: date | datetime | None) -> Safe:
        if value is None:
            return Safe("—")
        if isinstance(value, datetime):
            value = value.astimezone(self.style.zone).date()
        return Safe(words.day(value, self.language))

    def pct(self, share: float | None) -> Safe:
        if share is None:
            return Safe("—")
        if not math.isfinite(share):
            return Safe("∞")
        return self.e(words.percent(share, self.language))

    def hours(self, value: float | None) -> Safe:
        """Business hours, always with one decimal: 33.0 and 298.7 side by side."""
        if value is None:
            return Safe("—")
        return Safe(words.count(float(value), "hour", self.language))

    def number(self, value: float | None) -> Safe:
        if value is None:
            return Safe("—")
        return Safe(words.number(value, self.language))

    # -- pieces ------------------------------------------------------------------------------

    def marker(self, marker: Marker) -> Safe:
        """The hidden marker that lets forewarn find its comment again."""
        return Safe(marker.tag("jira" if self.flavor == "jira" else "markdown"))

    def mentions(self, people: Sequence[str]) -> Safe:
        """Only ids from the config get here (validated there); HTML mentions nobody."""
        if self.flavor == "html":
            return self.e(", ".join(people))
        return Safe(" ".join(self.style.mention(person) for person in people))

    def issue(self, key: str, url: str | None) -> Safe:
        """An issue key; in the HTML page a link when the tracker gave a plain http(s) URL.

        Comments name issues as inert text: a link or a reference would add a
        "mentioned this" event to every issue of every weekly summary.
        """
        label = self.e(key, 120)
        if self.flavor != "html" or not url or not _SAFE_URL.match(url):
            return label
        return Safe(f'<a href="{markupsafe.escape(url)}">{label}</a>')

    def health(self, milestone: MilestoneSummary) -> Safe:
        word = self.t("health." + milestone.health)
        if milestone.days_late:
            word = self.t("health.done_late", days=milestone.days_late)
        text = f"{_HEALTH_ICON[milestone.health]} {word}"
        if milestone.days_overdue:
            text += f" · {self.t('overdue', days=milestone.days_overdue)}"
        return Safe(text)

    def health_word(self, health: str | int | float | None) -> Safe:
        key = f"health.{health}"
        return self.t(key) if key in TEXT["en"] else self.e(str(health))

    def progress(self, progress: Progress) -> Safe:
        if not progress.issues_total:
            return self.t("progress.none")
        text = self.t("progress", done=progress.issues_done, total=progress.issues_total,
                      share=self.pct(progress.done_share))
        if progress.estimate_total is not None:
            text = Safe(f"{text}; " + self.t(
                "progress.estimate", done=self.number(progress.estimate_done),
                total=self.number(progress.estimate_total),
                share=self.pct(progress.estimate_done_share)))
        return text

    def due(self, due: DueDate) -> Safe:
        if due.due_on is None:
            return Safe("—")
        if not due.days_moved:
            return self.day(due.due_on)
        key = "due.moved" if due.days_moved > 0 else "due.earlier"
        return self.t(key, due=self.day(due.due_on), first=self.day(due.first_due_on),
                      days=abs(due.days_moved), moves=due.moves)

    def forecast(self, milestone: MilestoneSummary) -> Safe:
        forecast = milestone.forecast
        if milestone.due.due_on is None:
            return Safe("—")
        if milestone.progress.issues_total and \
                milestone.progress.issues_done == milestone.progress.issues_total:
            return self.t("forecast.done")
        if forecast.probability is None:
            return self.t("forecast.none")
        if forecast.forecast_on is None:
            return self.t("forecast.no_date", probability=self.pct(forecast.probability))
        return self.t("forecast", on=self.day(forecast.forecast_on),
                      probability=self.pct(forecast.probability))

    def growth(self, scope: Scope) -> Safe:
        if scope.growth is None:
            return self.t("growth.inf")
        text = self.pct(scope.growth)
        if scope.unit == "points":  # say what the share counts
            text = self.t("growth.points", growth=text, added=scope.added_points or 0,
                          baseline=scope.baseline_points or 0)
            if scope.unestimated_count:
                text = Safe(f"{text} " + self.t("growth.unestimated",
                                                count=scope.unestimated_count))
        if scope.over_threshold and scope.threshold is not None and self.audience == "team":
            return Safe("⚠️ " + self.t("growth.over", growth=text,
                                        threshold=self.pct(scope.threshold)))
        return text

    def risk(self, risk: Risk) -> Safe:
        """The alert's own message, as its comment says it."""
        evidence = parse_evidence(risk.evidence)
        evidence = {key: math.inf if value == "inf" else value for key, value in evidence.items()}
        text = headline(risk.kind, risk.cause, risk.subject.key, evidence, self.style)
        icon = _SEVERITY_ICON.get(risk.severity, "")
        if risk.acked:
            text += f" ({self.t('acked')})"
        return Safe(f"{icon} {text}")

    def waited(self, item: AwaitingReply) -> Safe:
        if item.sla_hours is None:
            return self.hours(item.business_hours)
        return self.t("waiting.of_sla", hours=self.hours(item.business_hours),
                      sla=self.hours(item.sla_hours))

    def wait_status(self, item: AwaitingReply) -> Safe:
        icon = {"breach": "🚨 ", "warning": "⚠️ "}.get(item.status, "")
        return Safe(icon + self.t(f"wait.{item.status}"))

    def median(self, kpis: FeedbackKpis, prefix: str = "") -> Safe:
        if kpis.median_first_response_hours is None:
            return self.t(f"{prefix}median.none")
        return self.t(f"{prefix}median", hours=self.hours(kpis.median_first_response_hours),
                      count=kpis.answered)

    def compliance(self, kpis: FeedbackKpis, watched: bool = True, prefix: str = "") -> Safe:
        if not watched:
            return self.t("compliance.no_sla")
        if kpis.sla_compliance is None:
            text = self.t(f"{prefix}compliance.none")
        else:
            text = self.t(f"{prefix}compliance", share=self.pct(kpis.sla_compliance),
                          within=kpis.within_sla, decided=kpis.within_sla + kpis.missed_sla)
        if kpis.pending and not prefix:  # a zero that says nothing is left out
            gap = words.SENTENCE_GAP.get(self.language, " ")
            text = Safe(text + gap + self.t("compliance.pending", pending=kpis.pending))
        return text

    def change(self, item: ChangeItem) -> Safe:
        before, after = item.before, item.after
        if item.kind == "health":
            before, after = self.health_word(before), self.health_word(after)
        return self.t(f"change.{item.kind}", title=item.title or "",
                      before="—" if before is None else before,
                      after="—" if after is None else after)

    def timing(self, retro: Retrospective) -> Safe:
        days = retro.days_late or 0
        if days > 0:
            return self.t("retro.late", days=days)
        if days < 0:
            return self.t("retro.early", days=-days)
        return self.t("retro.on_time")

    def mermaid(self, milestone: MilestoneSummary) -> Safe:
        """A Mermaid ``xychart-beta`` (GitHub renders it): done as bars, scope as a line."""
        points = milestone.burnup
        scopes, dones = burned(milestone)
        top = math.ceil(max([*scopes, 1]))
        labels = ", ".join(f'"{point.on:%m-%d}"' for point in points)
        title = self.t("burnup").replace('"', "")
        unit = self.t("points" if milestone.unit == "points" else "issues")
        lines = [
            "```mermaid", "xychart-beta",
            f'    title "{title}"',
            f"    x-axis [{labels}]",
            f'    y-axis "{unit}" 0 --> {top}',
            f"    bar [{', '.join(tick(value) for value in dones)}]",
            f"    line [{', '.join(tick(value) for value in scopes)}]",
            "```",
        ]
        return Safe("\n".join(lines))

    def legend(self, summary: ProjectSummary) -> Safe:
        """What the burn-ups count: issues, points, or each its own."""
        units = {m.unit for m in summary.milestones if m.burnup}
        key = "burnup.legend" if units == {"issues"} else \
            "burnup.legend.points" if units == {"points"} else "burnup.legend.mixed"
        return self.t(key)

    def burn(self, milestone: MilestoneSummary, point: BurnupPoint) -> tuple[str, str]:
        """A burn-up point's (scope, done) as its table shows them, in the milestone's unit."""
        if milestone.unit == "points" and point.scope_points is not None:
            return (self._value(point.scope_points, "point"),
                    self._value(point.done_points or 0, "point"))
        return str(point.scope), str(point.done)

    def svg(self, milestone: MilestoneSummary) -> Safe:
        key = "burnup.legend.points" if milestone.unit == "points" else "burnup.legend"
        return Safe(burnup_svg(milestone, label=self.t(key), alt=self.burnup_alt(milestone)))

    def burnup_alt(self, milestone: MilestoneSummary) -> Safe:
        """What the chart shows, in words: its text alternative."""
        points = milestone.burnup
        if not points:
            return self.t("burnup.none")
        scopes, dones = burned(milestone)
        key = "burnup.alt.points" if milestone.unit == "points" else "burnup.alt"
        return self.t(key, title=milestone.title, start=self.day(points[0].on),
                      end=self.day(points[-1].on), first=scopes[0],
                      last=scopes[-1], done=dones[-1])

    def more(self, count: int) -> Safe:
        return self.t("more", count=count)


# -- rendering ----------------------------------------------------------------------------------


def helpers(summary: ProjectSummary | Retrospective, flavor: Flavor, *,
            jira_cloud: bool = True) -> Helpers:
    return Helpers(flavor=flavor, language=summary.language, timezone=summary.timezone,
                   jira_cloud=jira_cloud, audience=getattr(summary, "audience", "team"))


def render_summary(
    summary: ProjectSummary, flavor: Flavor, *, marker: Marker | None = None,
    notify: Sequence[str] = (), templates: Path | str | None = None, jira_cloud: bool = True,
) -> str:
    """One project's summary as a comment body (``md``, ``jira``) or a page (``html``)."""
    if flavor == "html":
        return render_html([summary], templates=templates)
    h = helpers(summary, flavor, jira_cloud=jira_cloud)
    template = environment(flavor, _dir(templates)).get_template(f"summary.{flavor}.j2")
    body = template.render(s=summary, h=h, t=h.t, marker=h.marker(marker) if marker else "",
                           notify=list(notify), list_limit=LIST_LIMIT)
    return fit(_tidy(body), LIMITS[flavor], h.t("truncated", limit=LIMITS[flavor]))


def render_html(summaries: Sequence[ProjectSummary], *,
                templates: Path | str | None = None) -> str:
    """Every summary in one self-contained HTML page (inline CSS and SVG)."""
    pages = [(summary, helpers(summary, "html")) for summary in summaries]
    language = summaries[0].language if summaries else "en"
    template = environment("html", _dir(templates)).get_template("summary.html.j2")
    return _tidy(template.render(pages=pages, language=language, list_limit=LIST_LIMIT))


def render_json(summaries: Sequence[ProjectSummary]) -> str:
    """A JSON array: one object per project, each valid against docs/summary.schema.json."""
    return json.dumps([summary.model_dump(mode="json") for summary in summaries], indent=2,
                      ensure_ascii=False)


def render_retrospective(
    retro: Retrospective, flavor: Literal["md", "jira"], *, marker: Marker,
    templates: Path | str | None = None, jira_cloud: bool = True,
) -> str:
    h = helpers(retro, flavor, jira_cloud=jira_cloud)
    template = environment(flavor, _dir(templates)).get_template(f"retro.{flavor}.j2")
    body = template.render(r=retro, h=h, t=h.t, marker=h.marker(marker), list_limit=LIST_LIMIT)
    return fit(_tidy(body), LIMITS[flavor], h.t("truncated", limit=LIMITS[flavor]))


def fit(body: str, limit: int, note: str) -> str:
    """The body when it fits, else its head cut at a line with ``note`` at the end."""
    if len(body) <= limit:
        return body
    room = limit - len(note) - 16
    cut = body.rfind("\n", 0, room)
    head = body[: cut if cut > 0 else room].rstrip()
    if head.count("```") % 2:
        head += "\n```"
    return f"{head}\n\n{note}\n"


def _tidy(text: str) -> str:
    """At most one blank line in a row, one newline at the end."""
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _dir(templates: Path | str | None) -> str | None:
    return str(templates) if templates else None
