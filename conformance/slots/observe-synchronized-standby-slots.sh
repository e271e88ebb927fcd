#!/bin/sh
# PostgreSQL 17's synchronized_standby_slots on a real server (docs/model-postgres.md, "A consumer ahead of the
# standby"): a primary with a failover logical slot and a physical slot `sb` no standby uses (its restart_lsn
# stays where it was reserved). With synchronized_standby_slots = 'sb', decoding the failover slot waits for
# sb to confirm the WAL (slot.c StandbySlotsHaveCaughtup; logicalfuncs.c WaitForStandbyConfirmation): the call
# times out and the slot's confirmed_flush_lsn stays. Without the setting it decodes the rows. A slot without
# failover = true does not wait. Observed on 17.10 (2026-12-05): the failover slot's call warned 'replication slot
# "sb" specified in parameter "synchronized_standby_slots" does not have active_pid' / 'Logical replication is
# waiting on the standby associated with replication slot "sb"' until the 3 s timeout, its confirmed_flush_lsn
# unmoved; the plain slot decoded 1002 rows; with the setting reset the failover slot decoded its 1002.
#   sh conformance/slots/observe-synchronized-standby-slots.sh BINDIR /tmp/pgs     (as root)
B=$1
D=${2:-/tmp/pgs}
R="runuser -u postgres --"
PSQL=/usr/lib/postgresql/15/bin/psql
P="$R $PSQL -h $D -p 55510 -X -q -At -d postgres"
rm -rf "$D" && mkdir -p "$D/p" && chown -R postgres "$D"
$R "$B/initdb" -D "$D/p" -A trust >/dev/null
printf "port=55510\nunix_socket_directories='%s'\nwal_level=logical\n" "$D" >> "$D/p/postgresql.conf"
$R "$B/pg_ctl" -D "$D/p" -l "$D/p.log" -w start >/dev/null
$P -c "select pg_create_physical_replication_slot('sb', true)" -c "create table t(x int)" -c "select pg_create_logical_replication_slot('cdc', 'test_decoding', false, false, true)" -c "select pg_create_logical_replication_slot('plain', 'test_decoding', false, false, false)" >/dev/null
$P -c "alter system set synchronized_standby_slots = 'sb'" -c "select pg_reload_conf()" >/dev/null
sleep 1
$P -c "insert into t select generate_series(1, 1000)" >/dev/null
echo "with sb listed, failover slot: $($P -c "set statement_timeout = '3s'" -c "select count(*) from pg_logical_slot_get_changes('cdc', NULL, NULL)" 2>&1 | tr '\n' ' ')"
echo "with sb listed, plain slot: $($P -c "set statement_timeout = '3s'" -c "select count(*) from pg_logical_slot_get_changes('plain', NULL, NULL)" 2>&1 | tr '\n' ' ')"
echo "slots: $($P -c "select slot_name, restart_lsn, confirmed_flush_lsn from pg_replication_slots order by 1" | tr '\n' ' ')"
$P -c "alter system set synchronized_standby_slots = 'nosuch'" 2>&1 | head -2
$P -c "alter system reset synchronized_standby_slots" -c "select pg_reload_conf()" >/dev/null
sleep 1
echo "without the setting, failover slot: $($P -c "set statement_timeout = '3s'" -c "select count(*) from pg_logical_slot_get_changes('cdc', NULL, NULL)" 2>&1 | tr '\n' ' ')"
grep -E "waiting on the standby|synchronized_standby_slots" "$D/p.log" | head -3
$R "$B/pg_ctl" -D "$D/p" -w stop -m fast >/dev/null
