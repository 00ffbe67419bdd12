# The call service on its own; Redis and PostgreSQL come from docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# ffmpeg decodes recordings (pydub); espeak-ng and sox serve the speech tools; graphviz draws flows.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg espeak-ng sox graphviz \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin ivr \
    && mkdir -p /data \
    && chown ivr:ivr /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ivr ./ivr
RUN pip install .

# What admins edit: flows, prompts and routing policy (IVR_CONFIG_DIR). The service
# itself saves flows changed through PUT /api/flows, so they belong to its user.
COPY --chown=ivr:ivr flows ./flows
COPY --chown=ivr:ivr prompts ./prompts
COPY --chown=ivr:ivr routing ./routing

ENV IVR_CONFIG_DIR=/app \
    IVR_DATA_DIR=/data

USER ivr
VOLUME ["/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

# IVR_PUBLIC_URL must say how the carrier reaches this container (see README).
CMD ["ivr", "serve", "--host", "0.0.0.0", "--port", "8080", "--workers", "2"]
