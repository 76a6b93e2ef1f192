"""What a reviewer should look at twice: possible duplicates, an implausible distance, the year's total.

Nothing here refuses a claim; it only points. A second trip on the same day to the same place can be genuine, and
the reviewer knows the volunteer - the bot does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models_claims import REJECTED, WITHDRAWN, Claim, Receipt
from knowledge.places import Gazetteer, distance_km

ROAD_FACTOR = 1.5
"""Roads are rarely more than half again as long as the straight line between two German towns."""
TOWN_SLACK_KM = 10.0
"""Gemeinde coordinates are centre points; a trip within or between large Gemeinden runs a few km off them."""


@dataclass(frozen=True)
class Duplicate:
    claim_id: int
    status: str
    reason: str
    """"route" (same day, same route), "amount" (same day, same amount) or "receipt" (the same file)."""


@dataclass
class Findings:
    duplicates: list[Duplicate] = field(default_factory=list)
    straight_km: float | None = None
    distance: str | None = None
    """None (no coordinates or a ticket), "plausible", "too_far" or "too_short"."""
    year: int = 0
    year_total_cents: int = 0
    year_claims: int = 0
    same_iban_other_users: int = 0
    allowance_cents: int = 0
    """The yearly allowance the total is compared with (0: not shown)."""


def _route(from_place: str | None, from_text: str, to_place: str | None, to_text: str) -> frozenset[str]:
    """A route regardless of direction: there and back is the same trip."""
    return frozenset({from_place or from_text.strip().lower(), to_place or to_text.strip().lower()})


def distance_verdict(claimed_km: float, straight_km: float) -> str:
    if claimed_km > 2 * ROAD_FACTOR * straight_km + TOWN_SLACK_KM:
        return "too_far"
    if claimed_km < straight_km - TOWN_SLACK_KM:
        return "too_short"
    return "plausible"


def straight_line_km(gazetteer: Gazetteer, from_place_id: str | None, to_place_id: str | None) -> float | None:
    if not from_place_id or not to_place_id:
        return None
    a, b = gazetteer.get(from_place_id), gazetteer.get(to_place_id)
    if a is None or b is None:
        return None
    return distance_km(a, b)


async def year_total(session: AsyncSession, user_id: int | None, year: int, person_key: str | None = None
                     ) -> tuple[int, int]:
    """(cents, number of claims) of a volunteer's claims with trips in `year`, not counting refused ones.

    With `person_key`, claims of the person's other and deleted accounts count too.
    """
    who = Claim.user_id == user_id if person_key is None else or_(Claim.user_id == user_id,
                                                                   Claim.person_key == person_key)
    row = (await session.execute(
        select(func.coalesce(func.sum(Claim.amount_cents), 0), func.count(Claim.id)).where(
            who, Claim.trip_date >= date(year, 1, 1), Claim.trip_date < date(year + 1, 1, 1),
            Claim.status.not_in((REJECTED, WITHDRAWN)),
        )
    )).one()
    return int(row[0]), int(row[1])


def _same_person(claim: Claim):
    """The claimant's claims, also those filed before an account was deleted or from a linked account."""
    if claim.person_key is None:
        return Claim.user_id == claim.user_id
    return or_(Claim.person_key == claim.person_key, Claim.user_id == claim.user_id)


async def examine(session: AsyncSession, claim: Claim, gazetteer: Gazetteer, allowance_cents: int = 0) -> Findings:
    findings = Findings(year=claim.trip_date.year, allowance_cents=allowance_cents)
    found: dict[int, Duplicate] = {}
    route = _route(claim.from_place_id, claim.from_text, claim.to_place_id, claim.to_text)
    same_day = await session.scalars(
        select(Claim).where(_same_person(claim), Claim.trip_date == claim.trip_date, Claim.id != claim.id)
    )
    for other in same_day:
        if _route(other.from_place_id, other.from_text, other.to_place_id, other.to_text) == route:
            found[other.id] = Duplicate(other.id, other.status, "route")
        elif other.amount_cents == claim.amount_cents:
            found[other.id] = Duplicate(other.id, other.status, "amount")
    if claim.receipt_id is not None:
        digest = select(Receipt.sha256).where(Receipt.id == claim.receipt_id).scalar_subquery()
        same_file = await session.execute(
            select(Claim.id, Claim.status).join(Receipt, Receipt.id == Claim.receipt_id)
            .where(Receipt.sha256 == digest, Claim.id != claim.id)
        )
        for other_id, status in same_file:
            found.setdefault(other_id, Duplicate(other_id, status, "receipt"))
    findings.duplicates = sorted(found.values(), key=lambda d: d.claim_id)

    findings.straight_km = straight_line_km(gazetteer, claim.from_place_id, claim.to_place_id)
    if findings.straight_km is not None and claim.km_tenths is not None:
        findings.distance = distance_verdict(claim.km_tenths / 10, findings.straight_km)

    findings.year_total_cents, findings.year_claims = await year_total(session, claim.user_id, claim.trip_date.year,
                                                                      claim.person_key)
    findings.same_iban_other_users = await session.scalar(
        select(func.count(func.distinct(Claim.user_id))).where(
            Claim.iban_hash == claim.iban_hash, Claim.user_id != claim.user_id
        )
    ) or 0
    return findings
