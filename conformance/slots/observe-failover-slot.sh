#!/bin/sh
# PostgreSQL 17's failover slots on real servers (docs/model-postgres.md, "No logical slot follows a promotion,
# but 17's failover slots"): a primary with a logical slot created with failover = true and a standby (a cold copy
# of the primary, without its slots) with sync_replication_slots, hot_standby_feedback and primary_slot_name.
# CONSUME=0: the slot is never consumed; CONSUME=1: it is consumed after the standby starts. Then the primary is
# killed and the standby promoted. Observed on 17.10 (2026-12): never consumed, the standby's copy stays temporary
# ("could not synchronize replication slot … Synchronization could lead to data loss") and the slot does not exist
# after the promotion; consumed, the copy is "sync-ready now" and decodes on the new primary (synced, not temporary).
#   sh conformance/slots/observe-failover-slot.sh BINDIR /tmp/pgf 1     (as root: it runs the servers as postgres)
B=$1
D=${2:-/tmp/pgf}
CONSUME=${3:-1}
R="runuser -u postgres --"
PSQL=/usr/lib/postgresql/15/bin/psql
P="$R $PSQL -h $D -p 55500 -X -q -At -d postgres"
S="$R $PSQL -h $D -p 55501 -X -q -At -d postgres"
rm -rf "$D" && mkdir -p "$D/p" && chown -R postgres "$D"
$R "$B/initdb" -D "$D/p" -A trust >/dev/null
printf "port=55500\nunix_socket_directories='%s'\nwal_level=logical\n" "$D" >> "$D/p/postgresql.conf"
$R "$B/pg_ctl" -D "$D/p" -l "$D/p.log" -w start >/dev/null
$P -c "select pg_create_physical_replication_slot('s_slot', true)" -c "create table t(x int)" -c "select pg_create_logical_replication_slot('cdc', 'test_decoding', false, false, true)" >/dev/null
$R "$B/pg_ctl" -D "$D/p" -w stop -m fast >/dev/null
cp -a "$D/p" "$D/s" && rm -rf "$D/s/pg_replslot/"* "$D/s/postmaster.pid"
printf "port=55501\nprimary_conninfo='host=%s port=55500 user=postgres dbname=postgres'\nprimary_slot_name='s_slot'\nhot_standby_feedback=on\nsync_replication_slots=on\n" "$D" >> "$D/s/postgresql.conf"
touch "$D/s/standby.signal" && chown -R postgres "$D/s"
$R "$B/pg_ctl" -D "$D/p" -l "$D/p.log" -w start >/dev/null
$R "$B/pg_ctl" -D "$D/s" -l "$D/s.log" -w start >/dev/null
sleep 3
$P -c "insert into t select generate_series(1, 100000)" -c "checkpoint"
if [ "$CONSUME" = 1 ]; then $P -c "select count(*) from pg_logical_slot_get_changes('cdc', NULL, NULL)" -c "insert into t values (1)" -c "checkpoint" -c "select count(*) from pg_logical_slot_get_changes('cdc', NULL, NULL)" >/dev/null; fi
sleep 12
echo "standby before: $($S -c "select slot_name, synced, temporary from pg_replication_slots")"
$R "$B/pg_ctl" -D "$D/p" -w stop -m immediate >/dev/null
$R "$B/pg_ctl" -D "$D/s" -w promote >/dev/null
sleep 1
echo "after promotion: $($S -c "select slot_name, synced, temporary from pg_replication_slots")"
grep -E "sync-ready|could not synchronize" "$D/s.log" | head -2
$R "$B/pg_ctl" -D "$D/s" -w stop -m fast >/dev/null
