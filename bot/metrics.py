"""Prometheus metrics; one registry per bot instance so several can live in one test process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "helferbot_messages_handled", "Incoming messages and button presses handled",
            ["platform", "kind"], registry=self.registry,
        )
        self.replies = Counter("helferbot_replies", "Replies produced", ["platform"], registry=self.registry)
        self.deliveries = Counter(
            "helferbot_deliveries_sent", "Outbox messages delivered", ["platform"], registry=self.registry
        )
        self.platform_errors = Counter(
            "helferbot_platform_errors", "Errors reported by a platform", ["platform", "kind"],
            registry=self.registry,
        )
        self.handler_errors = Counter(
            "helferbot_handler_errors", "Handler crashes (answered with an apology)", registry=self.registry
        )
        # Filled from the database at scrape time (bot/ops.py), so they are never stale.
        self.pending = Gauge("helferbot_deliveries_pending", "Outbox messages waiting to be sent", ["platform"],
                             registry=self.registry)
        self.failed = Gauge("helferbot_deliveries_failed", "Outbox messages given up on", ["platform"],
                            registry=self.registry)
        self.claims = Gauge("helferbot_claims", "Travel-cost claims by status", ["status"], registry=self.registry)
        self.database_up = Gauge("helferbot_database_up", "1 while the database answers, 0 during an outage",
                                 registry=self.registry)
        self.database_up.set(1)
        self.database_outages = Counter("helferbot_database_outages", "Times the database became unreachable",
                                        registry=self.registry)

    def database_down(self, down: bool) -> None:
        self.database_up.set(0 if down else 1)
        if down:
            self.database_outages.inc()

    def handled(self, platform: str, kind: str) -> None:
        self.messages.labels(platform, kind).inc()

    def replied(self, platform: str, n: int) -> None:
        self.replies.labels(platform).inc(n)

    def delivered(self, platform: str) -> None:
        self.deliveries.labels(platform).inc()

    def platform_error(self, platform: str, kind: str) -> None:
        self.platform_errors.labels(platform, kind).inc()
