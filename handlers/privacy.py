"""Privacy for the people using the bot, and the operator's view of it: health, metrics and retention.

/datenschutz says what is kept and for how long in the same words the retention job enforces, because it reads
the same settings. /meinedaten and /loeschen only work in a private chat: neither the export nor the question
whether to delete should ever appear in a group.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from bot import http, privacy
from bot.context import Context
from bot.i18n import N_
from bot.messages import OutgoingFile
from bot.router import Router
from bot.storage.models import Delivery
from bot.timeutil import now

if TYPE_CHECKING:
    from bot.app import App

ORDER = 90
router = Router()
log = logging.getLogger(__name__)
GAUGES = "privacy.gauges"


@router.command("datenschutz", "privacy", description=N_("What I store about you, why and for how long"),
                keeps_dialog=True)
async def statement(ctx: Context, args: str) -> None:
    policy = privacy.settings(ctx.app)
    _ = ctx._
    ctx.reply("\n\n".join([
        _("What I store about you, why and for how long:"),
        _("• Your account: your ID on this platform, your language and the chat with you, so I can answer and "
          "send you messages. Kept until you delete it with /delete."),
        _("• Your roles, open dialogs, place subscriptions, quiet hours and your answers to meetings: so the "
          "functions you use work. Kept until you delete them or your account. Unfinished dialogs are removed "
          "after they expire."),
        _("• Messages I send you are kept for {days} days after sending, so nothing gets lost on the way.",
          days=policy.deliveries_retention_days),
        _("• Travel-cost claims with receipt and account details: accounting records. They are kept for {years} "
          "full calendar years and then deleted. If you delete your account, your claims are kept for that "
          "time without any link to your chat account. The IBAN of a claim is deleted once it has been paid, "
          "unless you asked me to remember your account.", years=policy.claims_retention_years),
        _("• So that nobody decides on their own claim, also not from a second or a new account, a keyed "
          "fingerprint of your chat account (not the account itself) stays with your claims for as long as they "
          "are kept. Accounts you link with /link count as one person."),
        _("• Who filed, checked or paid a claim is recorded with the claim, as an internal number instead of your "
          "chat account; once you delete your account, the number no longer leads to you."),
        _("Apart from what you enter in a dialog (for example a claim), I do not keep the texts of your "
          "messages, and my logs contain no message texts, names, phone numbers or IBANs. Your claims are seen "
          "only by the reviewers and admins responsible for them."),
        _("/mydata sends you everything I store about you as a file. /delete deletes your account."),
    ]))


@router.command("meinedaten", "mydata", description=N_("Send me everything you store about me"), private_only=True,
                keeps_dialog=True)
async def my_data(ctx: Context, args: str) -> None:
    data = await privacy.export_user(ctx.session, ctx.user)
    stamp = now().strftime("%Y-%m-%d")
    ctx.reply(
        ctx._("Here is everything I store about you, as a JSON file. Account numbers show only their last four "
              "digits."),
        file=OutgoingFile(f"helferbot-data-{stamp}.json", "application/json", privacy.export_json(data)),
    )


@router.command("loeschen", "delete", description=N_("Delete my account and my data"), private_only=True)
async def delete(ctx: Context, args: str) -> None:
    _ = ctx._
    ctx.reply(
        _("Do you really want me to delete your account? Your roles, subscriptions, answers to meetings, "
          "open dialogs and saved account details will be deleted. This cannot be undone.\n\nTravel-cost "
          "claims are accounting records: they are kept for {years} years, but no longer linked to you.",
          years=privacy.settings(ctx.app).claims_retention_years),
        buttons=[[
            await ctx.button(_("Yes, delete everything"), "privacy_delete", single_use=True),
            await ctx.button(_("No, keep my account"), "privacy_keep", single_use=True),
        ]],
    )


@router.button("privacy_delete")
async def delete_confirmed(ctx: Context, payload: dict) -> None:
    _ = ctx._
    done = await privacy.delete_user(ctx.session, ctx.user)
    text = _("Done: your account and everything linked to it have been deleted.")
    if done.claims_kept:
        text += "\n\n" + ctx.ngettext(
            "Your {n} travel-cost claim is kept as an accounting record, without any link to you, for {years} "
            "years; then it is deleted.",
            "Your {n} travel-cost claims are kept as accounting records, without any link to you, for {years} "
            "years; then they are deleted.", done.claims_kept,
            years=privacy.settings(ctx.app).claims_retention_years,
        )
    text += "\n\n" + _("If you write to me again, I will start with a new, empty account.")
    ctx.reply(text, edit=True)


@router.button("privacy_keep")
async def delete_declined(ctx: Context, payload: dict) -> None:
    ctx.reply(ctx._("Nothing was deleted."), edit=True)


# --- operations ----------------------------------------------------------------------------------------------

def install(app: App) -> None:
    """Check [privacy] now (a mistake stops the start), run retention daily, serve /healthz and /metrics."""
    privacy.settings(app)
    app.jobs.append(privacy.retention_job)
    registry = app.metrics.registry
    app.services[GAUGES] = {
        "pending": Gauge("helferbot_deliveries_pending", "Outbox messages waiting to be sent", ["platform"],
                         registry=registry),
        "failed": Gauge("helferbot_deliveries_failed", "Outbox messages given up on", ["platform"],
                        registry=registry),
        "claims": Gauge("helferbot_claims", "Travel-cost claims by status", ["status"], registry=registry),
    }
    http.add_route(app, "GET", "/healthz", healthz)
    http.add_route(app, "GET", "/metrics", metrics)


async def collect(app: App) -> None:
    """Fill the gauges from the database; called at scrape time so they are never stale."""
    gauges = app.services[GAUGES]
    async with app.db.session() as session:
        rows = (await session.execute(
            sa.select(Delivery.platform, Delivery.status, sa.func.count())
            .where(Delivery.status.in_(("pending", "sending", "failed")))
            .group_by(Delivery.platform, Delivery.status)
        )).all()
        claims = []
        try:
            from bot.storage.models_claims import CLAIM_STATES, Claim
        except ImportError:
            CLAIM_STATES = ()
        else:
            claims = (await session.execute(
                sa.select(Claim.status, sa.func.count()).group_by(Claim.status))).all()
    for name in ("pending", "failed"):
        gauges[name].clear()
    for platform in app.adapters:
        gauges["pending"].labels(platform).set(0)
        gauges["failed"].labels(platform).set(0)
    for platform, status, count in rows:
        gauges["failed" if status == "failed" else "pending"].labels(platform).inc(count)
    gauges["claims"].clear()
    for status in CLAIM_STATES:
        gauges["claims"].labels(status).set(0)
    for status, count in claims:
        gauges["claims"].labels(status).set(count)


async def healthz(app: App, request: web.Request) -> web.Response:
    try:
        async with app.db.session() as session:
            await session.execute(sa.text("SELECT 1"))
    except Exception:
        log.exception("health check: the database does not answer")
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "platforms": sorted(app.adapters)})


async def metrics(app: App, request: web.Request) -> web.Response:
    await collect(app)
    body = generate_latest(app.metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
