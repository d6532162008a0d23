"""Words per language: counted nouns, numbers, dates, times, durations and lists, with Babel.

Every text forewarn writes (alerts, summaries, the console) formats its values
here, so that one language reads the same everywhere:

* **Counts** take the plural form the language's CLDR rule picks
  (``Locale.plural_form``): "1 issue", "2 issues"; Chinese has one form with its
  measure word ("2 个事项"). Never "issue(s)".
* **Numbers and shares** follow the locale's symbols (Babel ``format_decimal``,
  ``format_percent``); business hours always carry one decimal, so "33.0" and
  "298.7" stand side by side at the same precision.
* **Dates** are the locale's medium form ("Nov 20, 2026", "2026年11月20日"); an
  **instant** adds the 24-hour time and the UTC offset of that instant in the
  project's zone ("UTC+8"): a zone abbreviation such as "CST" means China in
  Shanghai and Central time in Chicago, an offset means one thing.
* **Business durations** read as the admin wrote them, in working hours, with the
  working days of the project's calendar beside them when there is at least one:
  ``sla: 24h`` with 8-hour days is "24 working hours (3 working days)".
* **Lists** join with the locale's words ("A, B, and C"; "A、B和C"), long ones
  end with how many more.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

#: forewarn's language codes -> Babel locales.
LOCALES = {"en": "en", "zh-CN": "zh_Hans_CN"}

#: Counted nouns: language -> CLDR plural category -> text with ``{n}``. "other" is required.
NOUNS: dict[str, dict[str, dict[str, str]]] = {
    "issue": {"en": {"one": "{n} issue", "other": "{n} issues"},
              "zh-CN": {"other": "{n} 个事项"}},
    "point": {"en": {"one": "{n} point", "other": "{n} points"},
              "zh-CN": {"other": "{n} 个故事点"}},
    "open_issue": {"en": {"one": "{n} open issue", "other": "{n} open issues"},
                   "zh-CN": {"other": "{n} 个未完成事项"}},
    "day": {"en": {"one": "{n} day", "other": "{n} days"}, "zh-CN": {"other": "{n} 天"}},
    "change": {"en": {"one": "{n} change", "other": "{n} changes"},
               "zh-CN": {"other": "{n} 次变更"}},
    "approved_change": {"en": {"one": "{n} approved change", "other": "{n} approved changes"},
                        "zh-CN": {"other": "{n} 个已批准的变更"}},
    "descoped": {"en": {"other": "{n} descoped"}, "zh-CN": {"other": "移出 {n} 个"}},
    "request": {"en": {"one": "{n} request", "other": "{n} requests"},
                "zh-CN": {"other": "{n} 个请求"}},
    "answered_request": {"en": {"one": "{n} answered request",
                                "other": "{n} answered requests"},
                         "zh-CN": {"other": "{n} 个已答复的请求"}},
    "client_request": {"en": {"one": "{n} client request", "other": "{n} client requests"},
                       "zh-CN": {"other": "{n} 个客户请求"}},
    "hour": {"en": {"one": "{n} h", "other": "{n} h"}, "zh-CN": {"other": "{n} 小时"}},
    "working_hour": {"en": {"one": "{n} working hour", "other": "{n} working hours"},
                     "zh-CN": {"other": "{n} 个工作小时"}},
    "working_day": {"en": {"one": "{n} working day", "other": "{n} working days"},
                    "zh-CN": {"other": "{n} 个工作日"}},
    "more": {"en": {"other": "{n} more"}, "zh-CN": {"other": "另外 {n} 项"}},
    "accepted_risk": {"en": {"one": "{n} accepted risk", "other": "{n} accepted risks"},
                      "zh-CN": {"other": "{n} 个已接受的风险"}},
}
#: Sentences of one message join with a space in English, with nothing in Chinese.
SENTENCE_GAP = {"en": " ", "zh-CN": ""}
#: "(3 working days)": brackets and the joining word per language.
_ASIDE = {"en": ("{main} ({aside})", "{days} and {hours}"),
          "zh-CN": ("{main}（{aside}）", "{days}零 {hours}")}
_MOMENT = {"en": "{day}, {time} ({offset})", "zh-CN": "{day} {time} {offset}"}


@functools.cache
def locale(language: str) -> Locale:
    return Locale.parse(LOCALES.get(language, "en"))


def known(language: str) -> str:
    """The language itself when forewarn writes it, else English."""
    return language if language in LOCALES else "en"


def count(value: float, noun: str, language: str) -> str:
    """``value`` with its noun in the plural form the language's rules pick."""
    forms = NOUNS[noun]
    table = forms.get(known(language)) or forms["en"]
    category = locale(language).plural_form(value)
    text = table.get(category) or table["other"]
    shown = decimal(value, language) if isinstance(value, float) else integer(value, language)
    return text.format(n=shown)


def integer(value: int, language: str) -> str:
    return format_decimal(value, format="#,##0", locale=locale(language))


def decimal(value: float, language: str, *, places: int = 1) -> str:
    """A number with as many decimals as asked, no more, no fewer (consistent precision)."""
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(value, format=pattern, locale=locale(language))


def number(value: float, language: str) -> str:
    """A count or an estimate: whole numbers without decimals, others with up to two."""
    if float(value).is_integer():
        return integer(int(value), language)
    return format_decimal(value, format="#,##0.##", locale=locale(language))


def percent(share: float, language: str) -> str:
    return format_percent(share, format="#,##0%", locale=locale(language))


def day(value: date, language: str) -> str:
    return format_date(value, format="medium", locale=locale(language))


def utc_offset(value: datetime) -> str:
    """``UTC+8``, ``UTC-3:30``, ``UTC``: the offset of that instant, never an abbreviation."""
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def moment(value: datetime, zone: ZoneInfo, language: str) -> str:
    """An instant as the project's wall clock reads it, with its UTC offset."""
    local = value.astimezone(zone)
    template = _MOMENT.get(known(language), _MOMENT["en"])
    return template.format(day=day(local.date(), language),
                           time=format_time(local, format="HH:mm", locale=locale(language)),
                           offset=utc_offset(local))


def working_time(hours: float, day_hours: float | None, language: str) -> str:
    """Business time in working hours, with the working days beside it when there are any.

    ``24`` with 8-hour days: "24 working hours (3 working days)"; ``16`` with 9-hour
    days: "16 working hours (1 working day and 7 working hours)".
    """
    main = count(_whole(hours), "working_hour", language)
    if not day_hours or hours < day_hours:
        return main
    days, rest = divmod(round(hours * 60), round(day_hours * 60))
    aside = count(days, "working_day", language)
    shape, both = _ASIDE.get(known(language), _ASIDE["en"])
    if rest:
        aside = both.format(days=aside,
                            hours=count(_whole(rest / 60), "working_hour", language))
    return shape.format(main=main, aside=aside)


def _whole(value: float) -> float | int:
    """Whole numbers as ints (plural rules and digits differ for 24 and 24.0)."""
    return int(value) if float(value).is_integer() else round(value, 1)


def join(items: Sequence[str], language: str, *, limit: int | None = None) -> str:
    """Items joined in the language's words; past ``limit``, the rest counted."""
    shown = list(items[:limit]) if limit is not None else list(items)
    if limit is not None and len(items) > limit:
        shown.append(count(len(items) - limit, "more", language))
    if not shown:
        return ""
    return format_list(shown, style="standard", locale=locale(language))


def sentences(parts: Sequence[str], language: str) -> str:
    return SENTENCE_GAP.get(known(language), " ").join(part for part in parts if part)
