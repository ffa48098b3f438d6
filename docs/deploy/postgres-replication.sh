#!/bin/sh
# The primary's replication role, for the streaming replica (compose.yaml mounts this into
# /docker-entrypoint-initdb.d; the official image runs it once, on an empty data directory).
# On a managed PostgreSQL, create the replica in the provider's console instead.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
