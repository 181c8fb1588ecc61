# The router worker image: slim, non-root, with a health check on its metrics endpoint.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY schemas ./schemas
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 router
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
USER router
# In a container the metrics server must listen beyond loopback so Prometheus can scrape it.
ENV MENTION_ROUTER_METRICS_HOST=0.0.0.0 \
    MENTION_ROUTER_METRICS_PORT=9310 \
    PYTHONUNBUFFERED=1
EXPOSE 9310
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:9310/metrics', timeout=2); sys.exit(0)"
ENTRYPOINT ["mention-router"]
CMD ["worker"]
