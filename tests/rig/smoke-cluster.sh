#!/bin/sh
# The two-node cluster rig's smoke test (tests/rig/cluster/smoke.sh): two
# systemd-nspawn nodes, their network, the shared disk, ssh between them,
# cgroup separation, and a clean teardown.
exec bash "$(dirname "$0")/cluster/smoke.sh" "$@"
