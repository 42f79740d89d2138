#!/bin/sh
# Gets a fresh Temporal cluster ready for mcp-agent: waits until the server is healthy, creates the
# namespace, registers the custom search attributes (Keyword) the workflows set, and waits until
# queries accept them. Runs in the temporalio/admin-tools image (docker-compose.yml, service
# temporal-setup) before any worker or API starts, and is safe to run again.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${NAMESPACE_RETENTION:-72h}"
: "${SEARCH_ATTRIBUTES:?space-separated names of the Keyword search attributes to register}"
ATTEMPTS="${SETUP_ATTEMPTS:-90}"

# $1: what is awaited; the rest: a command that succeeds once it is there
wait_for() {
  what="$1"
  shift
  attempt=1
  until "$@" >/dev/null 2>&1; do
    if [ "$attempt" -ge "$ATTEMPTS" ]; then
      echo "setup: gave up waiting for $what" >&2
      "$@" # once more, to show why
      exit 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

echo "setup: waiting for Temporal at $ADDRESS"
wait_for "the cluster to be healthy" temporal operator cluster health --address "$ADDRESS"

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
  echo "setup: namespace $NAMESPACE exists"
else
  echo "setup: creating namespace $NAMESPACE (retention $RETENTION)"
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" --address "$ADDRESS"
fi
# A new namespace reaches every part of the server through caches; listing its attributes shows it has.
wait_for "namespace $NAMESPACE to be usable" \
  temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS"

registered="$(temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS")"
for name in $SEARCH_ATTRIBUTES; do
  if printf '%s\n' "$registered" | grep -Eq "(^|[[:space:]])$name([[:space:]]|$)"; then
    echo "setup: search attribute $name exists"
  else
    echo "setup: creating search attribute $name (Keyword)"
    temporal operator search-attribute create --name "$name" --type Keyword --namespace "$NAMESPACE" --address "$ADDRESS"
  fi
done

# The frontend learns of new attributes through a cache; a run started before it has them is refused.
for name in $SEARCH_ATTRIBUTES; do
  wait_for "search attribute $name to be queryable" \
    temporal workflow list --namespace "$NAMESPACE" --address "$ADDRESS" --limit 1 --query "$name = 'setup-check'"
done
echo "setup: done"
