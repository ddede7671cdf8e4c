# The briskk-pipeline image: one image for the user-code server, the webserver and the daemon
# (docker-compose.yml picks the command). Build: docker build -t briskk-pipeline .
# Each run in its own container (docker-compose.docker-runs.yml) builds it with
#   --build-arg PIP_EXTRAS=docker --build-arg DAGSTER_INSTANCE=deploy/docker/dagster.yaml
FROM python:3.11-slim

# Optional extras of pyproject.toml to install (comma-separated, e.g. `docker`), and the
# instance file to bake in as $DAGSTER_HOME/dagster.yaml.
ARG PIP_EXTRAS=""
ARG DAGSTER_INSTANCE=deploy/dagster.yaml

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/dagster/app
COPY pyproject.toml README.md constraints.txt ./
COPY briskk_pipeline ./briskk_pipeline
RUN pip install -c constraints.txt ".${PIP_EXTRAS:+[${PIP_EXTRAS}]}" \
    && useradd --create-home --uid 10001 --user-group briskk \
    && mkdir -p /opt/dagster/dagster_home/storage /data/inbox \
    && chown -R briskk:briskk /opt/dagster/dagster_home /data

COPY ${DAGSTER_INSTANCE} /opt/dagster/dagster_home/dagster.yaml
COPY deploy/workspace.yaml /opt/dagster/workspace.yaml

ENV DAGSTER_HOME=/opt/dagster/dagster_home \
    BRISKK_HOME=/data \
    BRISKK_INBOX=/data/inbox

USER briskk
WORKDIR /opt/dagster/dagster_home
EXPOSE 3000 4000

# Exec form: `docker stop`'s SIGTERM reaches the server itself (a shell would not pass it on).
CMD ["dagster", "code-server", "start", "-m", "briskk_pipeline", "-h", "0.0.0.0", "-p", "4000", "--location-name", "briskk_pipeline"]
