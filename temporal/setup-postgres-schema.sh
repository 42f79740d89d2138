#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases (persistence and visibility) before the
# server starts. Runs in the temporalio/admin-tools image (docker-compose.yml, service
# temporal-schema) and is safe to run on every `docker compose up`: a database whose schema is in
# place is only brought up to the image's version.
set -eu

: "${POSTGRES_SEEDS:?the PostgreSQL host}"
: "${POSTGRES_USER:?the PostgreSQL user}"
: "${POSTGRES_PWD:?the PostgreSQL password}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT="${SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"
export SQL_PASSWORD="$POSTGRES_PWD"

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

# $1: database name, $2: folder of versioned schema files
setup_database() {
  if sql_tool --db "$1" update-schema -d "$2" >/dev/null 2>&1; then
    echo "schema: $1 is up to date"
    return
  fi
  echo "schema: creating $1"
  sql_tool create --db "$1" || echo "schema: $1 exists already; setting up its tables"
  sql_tool --db "$1" setup-schema -v 0.0
  sql_tool --db "$1" update-schema -d "$2"
}

setup_database "${DBNAME:-temporal}" "$SCHEMA_ROOT/temporal/versioned"
setup_database "${VISIBILITY_DBNAME:-temporal_visibility}" "$SCHEMA_ROOT/visibility/versioned"
echo "schema: done"
