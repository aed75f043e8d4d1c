"""HTTP dates (RFC 9110 §5.6.7): formatting and parsing, pure and timezone-independent."""

from __future__ import annotations

import calendar
import re
from functools import lru_cache

__all__ = ["format_http_date", "parse_http_date"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name.lower(): index + 1 for index, name in enumerate(_MONTHS)}

# IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT   ; Sun, 06 Nov 1994 08:49:37 GMT
_IMF = re.compile(r"[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT\Z")
# rfc850-date  = day-name-l "," SP date2 SP time-of-day SP GMT ; Sunday, 06-Nov-94 08:49:37 GMT
_RFC850 = re.compile(r"[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT\Z")
# asctime-date = day-name SP date3 SP time-of-day SP year      ; Sun Nov  6 08:49:37 1994
_ASCTIME = re.compile(r"[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})\Z")
_MAX_LENGTH = 64  # every valid form is shorter; longer input is not a date


@lru_cache(maxsize=256)
def format_http_date(timestamp: float) -> str:
    """Format a POSIX timestamp as an IMF-fixdate (always GMT; never the local zone).

    Memoised: the files of one deployment usually share a handful of modification times,
    so their Last-Modified strings are shared too (a small table: with distinct times a big
    one only holds strings the entries already hold)."""
    year, month, day, hour, minute, second, weekday, _, _ = _gmtime(int(timestamp))
    return (
        f"{_DAYS[weekday]}, {day:02d} {_MONTHS[month - 1]} {year:04d} "
        f"{hour:02d}:{minute:02d}:{second:02d} GMT"
    )


def _gmtime(seconds: int) -> tuple[int, ...]:
    import time  # noqa: PLC0415 - keep the module import cheap; gmtime is the only user

    return tuple(time.gmtime(seconds))


def parse_http_date(value: str) -> int | None:
    """Parse any of the three HTTP date forms into a POSIX timestamp; None if invalid.

    RFC 9110 §5.6.7: recipients MUST accept all three forms. A two-digit RFC 850 year that
    would be more than 50 years in the future is taken to be in the past. Results are
    memoised; a value too long to be a date is refused before it can enter the cache.
    """
    if len(value) > _MAX_LENGTH:
        return None
    return _parse_cached(value)


@lru_cache(maxsize=256)
def _parse_cached(value: str) -> int | None:
    value = value.strip()
    if match := _IMF.match(value):
        day, month_name, year, hour, minute, second = match.groups()
        year_number = int(year)
    elif match := _RFC850.match(value):
        day, month_name, year, hour, minute, second = match.groups()
        year_number = _rfc850_year(int(year))
    elif match := _ASCTIME.match(value):
        month_name, day, hour, minute, second, year = match.groups()
        year_number = int(year)
    else:
        return None
    month = _MONTH_NUMBER.get(month_name.lower())
    if month is None:
        return None
    try:
        fields = (year_number, month, int(day), int(hour), int(minute), int(second))
        if not (1 <= fields[2] <= 31 and fields[3] < 24 and fields[4] < 60 and fields[5] < 61):
            return None
        return calendar.timegm((*fields, 0, 0, 0))
    except (ValueError, OverflowError):  # pragma: no cover - guarded by the checks above
        return None


def _rfc850_year(two_digits: int) -> int:
    """RFC 9110 §5.6.7: a two-digit year more than 50 years in the future means the most
    recent past year with those last two digits."""
    current = _current_year()
    year = current - current % 100 + two_digits
    return year - 100 if year > current + 50 else year


def _current_year() -> int:
    import time  # noqa: PLC0415 - see _gmtime

    return time.gmtime().tm_year
