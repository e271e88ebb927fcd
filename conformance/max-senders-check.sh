#!/bin/bash
# max_wal_senders and max_replication_slots on a real server (walsenders.ts, slots.ts): a primary with both at 1,
# two standbys cloned from a cleanly stopped copy of it, the second refused; a second slot refused. Prints the
# lines of the second standby and of the primary. Run as postgres (or root: it switches).
#   conformance/max-senders-check.sh BINDIR PORTBASE   (e.g. /var/cache/replsim-pg/17.10.0-beta.17/native/bin 56400)
if [ "$(id -u)" = 0 ]; then exec su postgres -c "$0 $*"; fi
set -u
BIN=$1; P=$2; S1=$((P+1)); S2=$((P+2))
W=$(mktemp -d /tmp/max-senders.XXXX)
MAJ=$($BIN/postgres --version | sed -E 's/.* ([0-9]+)\..*/\1/')
$BIN/initdb -D $W/p -U postgres -A trust >/dev/null 2>&1
printf "port=$P\nlisten_addresses='127.0.0.1'\nunix_socket_directories='$W'\nwal_level=replica\nmax_wal_senders=1\nmax_replication_slots=1\nlog_line_prefix='%%m %%b '\n" >> $W/p/postgresql.conf
echo "host replication all 127.0.0.1/32 trust" >> $W/p/pg_hba.conf
$BIN/pg_ctl -D $W/p -l $W/p.log -w start >/dev/null; $BIN/pg_ctl -D $W/p -w stop >/dev/null
for s in 1 2; do cp -a $W/p $W/s$s; PORT=$((P+s)); CI="host=127.0.0.1 port=$P user=postgres application_name=s$s"
  if [ $MAJ -le 11 ]; then printf "standby_mode=on\nprimary_conninfo='$CI'\n" > $W/s$s/recovery.conf; else printf "primary_conninfo='$CI'\n" >> $W/s$s/postgresql.conf; touch $W/s$s/standby.signal; fi
  printf "port=$PORT\nwal_retrieve_retry_interval=5s\n" >> $W/s$s/postgresql.conf; done
$BIN/pg_ctl -D $W/p -l $W/p.log -w start >/dev/null
$BIN/pg_ctl -D $W/s1 -l $W/s1.log -w start >/dev/null; sleep 2
$BIN/pg_ctl -D $W/s2 -l $W/s2.log -w start >/dev/null; sleep 7
PSQL="/usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -p $P -U postgres -d postgres -Atq"
$PSQL -c "select pg_create_physical_replication_slot('a')" >/dev/null 2>&1
echo "== $MAJ create 2nd slot:"; $PSQL -c "select pg_create_physical_replication_slot('b')" 2>&1
echo "== $MAJ s2 log:"; grep -v "listening\|starting PostgreSQL\|interrupted\|redo starts\|consistent\|ready to\|entering standby\|shut down" $W/s2.log | cut -c25-300 | sort | uniq -c | head
echo "== $MAJ primary log:"; grep -i "FATAL\|ERROR\|HINT" $W/p.log | cut -c25-300 | sort | uniq -c | head
for d in s2 s1 p; do $BIN/pg_ctl -D $W/$d -w stop -m immediate >/dev/null 2>&1; done; rm -rf $W
