# Start/stop a throwaway PostgreSQL cluster on 127.0.0.1:54329; exports PORTALKIT_PG_URL.
PG_PORT=54329
PG_DIR=/tmp/portalkit-pg

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || return 1
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$bin" ] || return 1
  fi
  rm -rf "$PG_DIR" && mkdir -p "$PG_DIR" && chown postgres "$PG_DIR" || return 1
  su postgres -c "$bin/initdb -D $PG_DIR/data -A trust -U postgres >/dev/null" || return 1
  su postgres -c "$bin/pg_ctl -D $PG_DIR/data -o '-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200' -l $PG_DIR/log -w start >/dev/null" || return 1
  export PORTALKIT_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "ci: PostgreSQL running at 127.0.0.1:$PG_PORT"
}

stop_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] && [ -d "$PG_DIR/data" ] && su postgres -c "$bin/pg_ctl -D $PG_DIR/data -m fast stop >/dev/null"
}
