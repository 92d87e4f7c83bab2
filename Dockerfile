# Observatory: one container, one volume. Build and run:
#   docker build -t observatory .
#   docker run -d -p 8000:8000 -v observatory-data:/data observatory
# On machines without an image registry: --build-arg PYTHON_IMAGE=$(../shared/tools/container-base-image)
# The image carries the postgresql extra, so the same image runs `observatory worker` (compose.yaml).
ARG PYTHON_IMAGE=python:3.12-slim

# --- build: install the package and its dependencies into a virtual environment -----------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/observatory
WORKDIR /src
COPY pyproject.toml README.md sources.yaml ./
# observatory/templates and observatory/sources.yaml are symlinks to these top-level files.
COPY templates ./templates
COPY observatory ./observatory
RUN /opt/observatory/bin/pip install '.[postgresql]' \
 && /opt/observatory/bin/observatory --version \
 && test -f /opt/observatory/lib/python*/site-packages/observatory/templates/digest.html.j2

# --- runtime: the venv, the shipped sources.yaml, a non-root user, nothing else -------------------
FROM ${PYTHON_IMAGE}
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin observatory \
 && mkdir -p /data /etc/observatory \
 && chown observatory:observatory /data
COPY --from=build /opt/observatory /opt/observatory
# The default configuration; mount a folder on /etc/observatory to replace it (a folder rather than
# a single file, so that edits are seen and reloaded).
COPY sources.yaml /etc/observatory/sources.yaml
ENV PATH=/opt/observatory/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OBSERVATORY_DB=sqlite:////data/observatory.db \
    OBSERVATORY_CONFIG=/etc/observatory/sources.yaml \
    OBSERVATORY_HOST=0.0.0.0 \
    OBSERVATORY_PORT=8000
# SMTP settings come from the environment at run time (OBSERVATORY_SMTP_HOST, ..._PORT, ..._USER,
# ..._SECURITY, OBSERVATORY_MAIL_FROM) and the password from OBSERVATORY_SMTP_PASSWORD or, better,
# OBSERVATORY_SMTP_PASSWORD_FILE (a mounted secret); nothing secret is baked into the image.
VOLUME /data
WORKDIR /data
USER observatory
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('OBSERVATORY_PORT', '8000') + '/healthz', timeout=4)"]
STOPSIGNAL SIGTERM
CMD ["observatory", "run"]
