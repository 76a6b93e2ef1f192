# helferbot: one process serving Telegram and/or Matrix, with health and metrics on port 8080.
# Build: docker build -t helferbot .    Run with PostgreSQL: docker compose up -d (see compose.yaml).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY knowledge ./knowledge
RUN python -m venv /opt/helferbot && /opt/helferbot/bin/pip install .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin helferbot \
    && mkdir -p /data && chown helferbot /data
COPY --from=build /opt/helferbot /opt/helferbot
ENV PATH=/opt/helferbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HELFERBOT_BOT_DATA_DIR=/data \
    HELFERBOT_BOT_HTTP_LISTEN=0.0.0.0 \
    HELFERBOT_BOT_HTTP_PORT=8080
USER helferbot
WORKDIR /data
# The data directory holds the SQLite database (if no PostgreSQL is configured), the IBAN key file and the
# Matrix device keys: back it up together with the database.
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# Exec form: the bot is PID 1 and gets SIGTERM itself, finishes the sends in flight and puts the rest back.
STOPSIGNAL SIGTERM
ENTRYPOINT ["helferbot"]
CMD ["run"]
