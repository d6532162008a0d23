# forewarn in a container: `forewarn daemon` by default, its state in the /data volume.
#
#   docker build -t forewarn .
#   docker run -v "$PWD/forewarn.yaml:/etc/forewarn/forewarn.yaml:ro" -v forewarn-data:/data \
#     -e FOREWARN_GITHUB_TOKEN -p 8080:8080 forewarn
#
# `make container-check` (scripts/container_check.py, run by .ci/run) builds this file with
# podman and runs the image for real. `make docker-check` (scripts/docker-install-check.sh)
# needs no engine: it replays the build stage's COPY and pip steps in a clean virtual
# environment, so keep each COPY on one line and the install in one RUN with `pip install`.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- build: a virtual environment with forewarn and its dependencies ---------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/forewarn
WORKDIR /src
COPY pyproject.toml README.md ./
COPY config ./config
COPY connectors ./connectors
COPY rules ./rules
COPY sync ./sync
COPY examples ./examples
# pip and setuptools only install; the image runs forewarn and installs nothing (-25 MB).
RUN /opt/forewarn/bin/pip install --no-cache-dir ".[postgres]" \
    && /opt/forewarn/bin/python -m pip uninstall --yes --quiet pip setuptools

# -- run: the environment alone, as an unprivileged user ----------------------------------
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/forewarn/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FOREWARN_CONFIG=/etc/forewarn/forewarn.yaml \
    FOREWARN_STATE_URL=sqlite:////data/forewarn.db \
    FOREWARN_HTTP_PORT=8080 \
    FOREWARN_LOG_FORMAT=json
RUN groupadd --system --gid 10001 forewarn \
    && useradd --system --uid 10001 --gid forewarn --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin forewarn \
    && mkdir -p /data /etc/forewarn \
    && chown forewarn:forewarn /data
COPY --from=build /opt/forewarn /opt/forewarn
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# Python's urllib: the slim image has no curl. A non-2xx answer or no answer fails the check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('FOREWARN_HTTP_PORT', '8080'), timeout=4)"]
# SIGTERM: finish the write in flight, record, release leases, exit 0 within 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["forewarn"]
CMD ["daemon"]
