"""Public holidays of the Land a meeting is in, so the preview can point out "3. Oktober is a holiday".

The Land is the first two digits of the place's ARS (Amtlicher Regionalschlüssel). Holidays that only some
Gemeinden keep (Augsburger Friedensfest, Mariä Himmelfahrt in parts of Bayern) are left out: the `holidays`
package lists the Land-wide ones by default, which is what a coordinator can be sure of.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

LAND_CODES = {
    "01": "SH", "02": "HH", "03": "NI", "04": "HB", "05": "NW", "06": "HE", "07": "RP", "08": "BW",
    "09": "BY", "10": "SL", "11": "BE", "12": "BB", "13": "MV", "14": "SN", "15": "ST", "16": "TH",
}


@lru_cache(maxsize=64)
def _calendar(land: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv=land, years=year, language="de")


def holiday_on(day: date, place_id: str) -> str | None:
    """The German name of the public holiday on `day` where `place_id` lies, or None."""
    land = LAND_CODES.get((place_id or "")[:2])
    if land is None:
        return None
    return _calendar(land, day.year).get(day)
