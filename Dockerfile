# The router worker image: slim, non-root (uid/gid 10001), with a health check on its metrics endpoint.
#   docker build -t mention-router .        docker run --rm mention-router --help
FROM python:3.11-slim AS build
# A C compiler for the optional enrichment featuriser (setup.py); the runtime image gets only the built wheel.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY streams ./streams
COPY schemas ./schemas
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN groupadd --gid 10001 router && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin router
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /home/router
# In a container the metrics server must listen beyond loopback so Prometheus can scrape it
# (outside containers the default stays 127.0.0.1).
ENV MENTION_ROUTER_METRICS_HOST=0.0.0.0 \
    MENTION_ROUTER_METRICS_PORT=9310 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
EXPOSE 9310
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MENTION_ROUTER_METRICS_PORT', '9310'), timeout=2)"]
ENTRYPOINT ["mention-router"]
CMD ["worker"]
