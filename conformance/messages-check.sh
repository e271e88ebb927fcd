#!/bin/bash
# The log lines replsim prints as a real server's (src/models/postgres/messages.ts), on each major: a primary and
# a standby cloned from a cleanly stopped copy; the standby starts and streams, the primary stops (end of WAL),
# the standby is promoted, then restarted as a standby of nothing. Prints the distinct messages of the standby's
# log, without timestamps and PIDs, per major, to compare with the model's wording. Run as postgres (or root).
#   conformance/messages-check.sh PORTBASE [VERSION...]   (versions: dirs of /var/cache/replsim-pg; default all)
if [ "$(id -u)" = 0 ]; then exec su postgres -c "$0 $*"; fi
set -u
P=$1; shift; S=$((P+1))
CACHE=${REPLSIM_PG_CACHE:-/var/cache/replsim-pg}
VERSIONS=${*:-$(ls $CACHE)}
for V in $VERSIONS; do
  BIN=$CACHE/$V/native/bin
  W=$(mktemp -d /tmp/messages-check.XXXX)
  MAJ=$($BIN/postgres --version | sed -E 's/.* ([0-9]+)\..*/\1/')
  $BIN/initdb -D $W/p -U postgres -A trust >/dev/null 2>&1
  printf "port=$P\nlisten_addresses='127.0.0.1'\nunix_socket_directories='$W'\nwal_level=replica\nmax_wal_senders=4\nlog_line_prefix='%%b '\n" >> $W/p/postgresql.conf
  echo "host replication all 127.0.0.1/32 trust" >> $W/p/pg_hba.conf
  $BIN/pg_ctl -D $W/p -l $W/p.log -w start >/dev/null; $BIN/pg_ctl -D $W/p -w stop >/dev/null
  cp -a $W/p $W/s; CI="host=127.0.0.1 port=$P user=postgres application_name=s"
  if [ "$MAJ" -le 11 ]; then printf "standby_mode=on\nprimary_conninfo='$CI'\nrecovery_target_timeline=latest\n" > $W/s/recovery.conf; else printf "primary_conninfo='$CI'\n" >> $W/s/postgresql.conf; touch $W/s/standby.signal; fi
  printf "port=$S\nwal_retrieve_retry_interval=5s\n" >> $W/s/postgresql.conf
  $BIN/pg_ctl -D $W/p -l $W/p.log -w start >/dev/null
  $BIN/pg_ctl -D $W/s -l $W/s.log -w start >/dev/null; sleep 2
  $BIN/pg_ctl -D $W/p -w stop -m fast >/dev/null; sleep 2
  $BIN/pg_ctl -D $W/s -w promote >/dev/null; sleep 2
  $BIN/pg_ctl -D $W/s -w stop -m fast >/dev/null
  echo "== $V"
  sed -E 's/[0-9]+\/[0-9A-F]+/X\/X/g; s/PID [0-9]+/PID N/g; s/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]+( UTC)?/TIME/g; s/port [0-9]+/port P/g' $W/s.log | grep -v "starting PostgreSQL\|listening on" | awk '!seen[$0]++'
  rm -rf $W
done
