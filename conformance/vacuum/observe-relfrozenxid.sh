#!/bin/sh
# age(relfrozenxid) of a table after VACUUM, on a real server (test/conformance/vacuum-relfrozenxid.json):
# a table written once, 10,000 XIDs consumed after it, then with vacuum_freeze_min_age = 1000 an aggressive
# VACUUM (vacuum_freeze_table_age = 0) and a VACUUM FREEZE. Up to 14 relfrozenxid becomes FreezeLimit (the
# age is vacuum_freeze_min_age), from 15 the oldest XID left (nothing is left: OldestXmin, age 0); FREEZE
# gives OldestXmin on every version (vacuumlazy.c; docs/model-vacuum.md). Debian's psql is the client.
#   su postgres -c 'sh conformance/vacuum/observe-relfrozenxid.sh BINDIR /tmp/pgr'
# BINDIR holds initdb, pg_ctl and postgres (Debian's /usr/lib/postgresql/15/bin, or an embedded server's).
set -e
B=$1
DIR=${2:-/tmp/pgr}
P="/usr/lib/postgresql/15/bin/psql -h $DIR -p 55433 -At -d postgres"
rm -rf "$DIR/d" && mkdir -p "$DIR" && "$B/initdb" -D "$DIR/d" -A trust >/dev/null
"$B/pg_ctl" -D "$DIR/d" -o "-p 55433 -k $DIR -c listen_addresses= -c autovacuum=off" -l "$DIR/log" -w start >/dev/null
$P -c "select 'server ' || current_setting('server_version')"
$P -c "create table t (a int)" -c "insert into t select generate_series(1, 1000)" -c "create table u (a int)" -c "insert into u select generate_series(1, 1000)"
$P -c "create procedure burn(n int) language plpgsql as \$\$ begin for i in 1..n loop perform txid_current(); commit; end loop; end \$\$"
$P -c "call burn(10000)"
$P -c "set vacuum_freeze_min_age = 1000" -c "set vacuum_freeze_table_age = 0" -c "vacuum t" \
   -c "select 'aggressive ' || age(relfrozenxid) from pg_class where relname = 't'"
$P -c "vacuum freeze u" -c "select 'freeze ' || age(relfrozenxid) from pg_class where relname = 'u'"
"$B/pg_ctl" -D "$DIR/d" stop -m fast >/dev/null
