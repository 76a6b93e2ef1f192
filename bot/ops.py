"""The operator's endpoints: /healthz for the orchestrator and /metrics for Prometheus."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.claims import workflow
from bot.core import outbox
from bot.core.outage import is_outage

if TYPE_CHECKING:
    from bot.core.app import App

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 5.0


async def collect(app: App) -> None:
    """Fill the gauges from the database; called at scrape time so they are never stale."""
    async with app.db.session() as session:
        rows = await outbox.open_counts(session)
        claims = await workflow.status_counts(session)
    metrics = app.metrics
    for gauge in (metrics.pending, metrics.failed):
        gauge.clear()
    for platform in app.adapters:
        metrics.pending.labels(platform).set(0)
        metrics.failed.labels(platform).set(0)
    for platform, status, count in rows:
        (metrics.failed if status == outbox.FAILED else metrics.pending).labels(platform).inc(count)
    metrics.claims.clear()
    for status, count in claims.items():
        metrics.claims.labels(status).set(count)


async def healthz(app: App, request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            async with app.db.session() as session:
                await session.execute(sa.text("SELECT 1"))
    except Exception as exc:
        if is_outage(exc) or isinstance(exc, TimeoutError):
            app.outage.failed("the health check")  # one log line per outage, not one per probe
        else:
            log.exception("health check: the database does not answer")
        body = {"status": "error", "database": "unreachable"}
        if app.outage.since is not None:
            body["down_for_seconds"] = round(time.monotonic() - app.outage.since, 1)
        return web.json_response(body, status=503)
    app.outage.ok()
    return web.json_response({"status": "ok", "platforms": sorted(app.adapters)})


async def metrics(app: App, request: web.Request) -> web.Response:
    try:
        await collect(app)
    except Exception as exc:
        if not is_outage(exc):
            raise
        app.outage.failed("the metrics")  # the counters and helferbot_database_up 0 still go out
    body = generate_latest(app.metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


ROUTES = (("GET", "/healthz", healthz), ("GET", "/metrics", metrics))
