#!/usr/bin/env bash
# Loads the generated rules into the Mimir ruler (docs/scaling.md). The
# rule file is the same alerts/heady-rules.yml a single Prometheus loads;
# its expressions sum without(instance), so they add the shards up.
set -euo pipefail
cd "$(dirname "$0")/../.."
mimirtool rules load --address="${MIMIR_ADDRESS:-http://mimir:9009}" --id="${MIMIR_TENANT:-heady}" alerts/heady-rules.yml
