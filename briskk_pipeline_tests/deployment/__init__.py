"""Deployment tests: the compose files and their schema, the Docker run-launcher variant, the
instances Dagster builds from deploy/, a run container's command, the daemon on a real inbox
and the production topology. Shared helpers: `processes` (subprocesses, environments, deadlines,
scratch databases), `compose` (rendering, merging and schema-checking compose files), `graphql`
(the webserver's GraphQL API)."""
