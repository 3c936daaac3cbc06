#!/bin/bash
# I3, "no live node fenced", with slow LUNs (found by a review): the holder's
# watch renews its heartbeat on one device after another, so slow devices
# hold the beat on the first one back. Here db1 reaches LUNs 2-4 through a
# proxy that holds each answer 0.9 s (timeout 1 s, interval 200 ms): every
# heartbeat of db1 succeeds, and db2's takeovers without --force must all
# see db1 alive (exit 3). Before the fix (a takeover watched only the first
# device for 2 x interval + timeout) db2 preempted the healthy db1 within a
# few tries.
# Exit: 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
. tests/lib.sh
. tests/rig/tgtd.sh
why=$(tgtd_can_run) || skip "${why#tgtd rig: skip: }"
need_cmd python3
need_built "$BUILD/tandem-fence"
t_tmpdir tandem-break-slow
W=$T_TMP
PXPID="" WP=""
at_exit --check 'tgtd_stop >/dev/null'
at_exit 't_kill "$WP" "$PXPID"'
tgtd_start 4 >/dev/null || die "tgtd did not start"
cat >"$W/proxy.py" <<'EOF'
import asyncio, sys
lport, tport, delayfile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def delay():
    try: return float(open(delayfile).read().strip() or 0)
    except FileNotFoundError: return 0.0
async def pipe(r, w, slow):
    try:
        while True:
            b = await r.read(65536)
            if not b: break
            if slow and delay() > 0: await asyncio.sleep(delay())
            w.write(b); await w.drain()
    except Exception: pass
    finally:
        try: w.close()
        except Exception: pass
async def handle(cr, cw):
    tr, tw = await asyncio.open_connection('127.0.0.1', tport)
    await asyncio.gather(pipe(cr, tw, False), pipe(tr, cw, True))
async def main():
    s = await asyncio.start_server(handle, '127.0.0.1', lport)
    async with s: await s.serve_forever()
asyncio.run(main())
EOF
PP=$((TGTD_PORT + 1))
while ss -Hltn "sport = :$PP" | grep -q .; do PP=$((PP + 1)); done
echo 0 >"$W/delay"
python3 "$W/proxy.py" "$PP" "$TGTD_PORT" "$W/delay" &
PXPID=$!
for _ in $(seq 50); do ss -Hltn "sport = :$PP" | grep -q . && break; sleep 0.1; done
PURL=iscsi://127.0.0.1:$PP/$TGTD_IQN
for n in db1 db2; do
	p=db2 via=$TGTD_URL
	[ $n = db2 ] && p=db1
	[ $n = db1 ] && via=$PURL
	printf '[cluster]\nname = erp\nnode = %s\npeer = %s\n[fence]\ndevices = %s/1\n  %s/2\n  %s/3\n  %s/4\n' \
		"$n" "$p" "$TGTD_URL" "$via" "$via" "$via" >"$W/$n.conf"
	printf 'initiator = iqn.2026-11.org.tandem.test:%s\ntimeout = 1s\nwatch_interval = 200ms\ndrain = 0\n' "$n" >>"$W/$n.conf"
	chmod 0600 "$W/$n.conf"
done
F() { local n=$1; shift; "$BUILD/tandem-fence" -c "$W/$n.conf" --log-target console "$@"; }
F db1 -q unfence >/dev/null && F db2 -q unfence >/dev/null && F db1 -q takeover >/dev/null || die "unfence, takeover"
F db1 watch >"$W/watch.log" 2>&1 &
WP=$!
sleep 1
F db2 takeover >/dev/null 2>&1
[ $? = 3 ] || die "with fast LUNs, db2's takeover should see db1 alive"
echo 0.9 >"$W/delay"
sleep 2
rc=3
for a in 1 2 3 4 5 6 7 8; do
	F db2 takeover >"$W/t.log" 2>&1
	rc=$?
	[ "$rc" = 3 ] || break
	sleep 0.3
done
if [ "$rc" = 0 ]; then
	warn=$(grep -c "heartbeat failed" "$W/watch.log")
	fail "db2's takeover (try $a, no --force) fenced db1, whose every heartbeat had succeeded ($warn failed): $(grep -o 'no heartbeat from the peer in [0-9.]*s' "$W/t.log")"
else
	pass "db2's takeovers all saw db1 alive (last exit $rc)"
fi
finish
