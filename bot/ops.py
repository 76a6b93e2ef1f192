"""The operator's endpoints: /healthz for the orchestrator and /metrics for Prometheus."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.claims import workflow
from bot.core import outbox

if TYPE_CHECKING:
    from bot.core.app import App

log = logging.getLogger(__name__)


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


ROUTES = (("GET", "/healthz", healthz), ("GET", "/metrics", metrics))
