# Mitra KIA: two stages, so the runtime image carries the installed app and nothing used to build it.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md constraints.txt app.py piccolo_conf.py ./
COPY core ./core
COPY partners ./partners
COPY verification ./verification
COPY admin ./admin
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --constraint constraints.txt .

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 mitrakia \
    && useradd --system --uid 10001 --gid mitrakia --home-dir /app --shell /usr/sbin/nologin mitrakia \
    && mkdir -p /app/var \
    && chown mitrakia:mitrakia /app/var
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# No secret here: MITRAKIA_SECRET_KEY (or MITRAKIA_SECRET_KEY_FILE) comes from the environment at run time.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MITRAKIA_HOST=0.0.0.0 \
    MITRAKIA_PORT=8000 \
    MITRAKIA_WORKERS=2 \
    MITRAKIA_FORWARDED_ALLOW_IPS=*
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
CMD ["mitrakia", "serve"]
