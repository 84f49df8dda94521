#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stop-postfix.sh DIR - stop the Postfix instance start-postfix.sh DIR
# started (postfix stop, then abort, then its master's pid), and wait for
# it to be gone.  Quiet and harmless when none runs.
dir=${1:?usage: stop-postfix.sh DIR}
command -v postfix >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
conf=$dir/conf
[ -f "$conf/main.cf" ] || exit 0
pidf=$dir/queue/pid/master.pid
pid=$(tr -dc 0-9 < "$pidf" 2>/dev/null || true)
timeout 30 postfix -c "$conf" stop >/dev/null 2>&1 || timeout 30 postfix -c "$conf" abort >/dev/null 2>&1 || true
if [ -n "$pid" ]; then
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || exit 0
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null || true
	sleep 1
	kill -KILL "$pid" 2>/dev/null || true
fi
exit 0
