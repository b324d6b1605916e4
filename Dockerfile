# wirewatch: multi-stage build, non-root, data in a volume, config mounted from outside.
#   docker build -t wirewatch .
#   docker run -e WIREWATCH_HTTP__TOKEN="$(openssl rand -hex 24)" \
#       -v wirewatch-data:/data -v $PWD/config:/config:ro -p 127.0.0.1:8787:8787 wirewatch
# The API listens on 0.0.0.0 inside the container, so that a published port reaches it: set
# WIREWATCH_HTTP__TOKEN (or http.token_file in the config) and publish on 127.0.0.1 unless you
# mean to expose it. Without a token the daemon logs an `http_api_unprotected` warning at start.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/wirewatch
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/wirewatch/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/wirewatch/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN groupadd --system wirewatch && useradd --system --gid wirewatch --home-dir /data wirewatch \
 && mkdir -p /data /config && chown wirewatch:wirewatch /data
COPY --from=build /opt/wirewatch /opt/wirewatch
COPY config /config
ENV PATH=/opt/wirewatch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    WIREWATCH_CONFIG=/config/wirewatch.yaml \
    WIREWATCH_DATA_DIR=/data \
    WIREWATCH_HTTP__HOST=0.0.0.0
USER wirewatch
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8787/healthz', timeout=4); sys.exit(0)"
STOPSIGNAL SIGTERM
ENTRYPOINT ["wirewatch"]
CMD ["run"]
