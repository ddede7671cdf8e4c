-- Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d):
-- Dagster's storage and the catalog live in separate databases of one server.
CREATE DATABASE dagster;
CREATE DATABASE catalog;
