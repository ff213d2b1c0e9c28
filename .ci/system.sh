# System packages and the PostgreSQL server for CI (Debian). Sourced by .ci/run.
PG_PORT=54329
PG_DIR=/tmp/portalkit-ci-pg

install_system_packages() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v npm >/dev/null || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "ci: installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

start_postgres() {
  local bin; bin=$(pg_bin); [ -n "$bin" ] || return 1
  rm -rf "$PG_DIR" && mkdir -p "$PG_DIR" && chown postgres "$PG_DIR" || return 1
  su postgres -s /bin/sh -c "$bin/initdb -D $PG_DIR/data -A trust -U postgres --no-sync >/dev/null" || return 1
  su postgres -s /bin/sh -c "$bin/pg_ctl -D $PG_DIR/data -o '-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200' -l $PG_DIR/log -w start >/dev/null" || return 1
  export PORTALKIT_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "ci: PostgreSQL running on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
  local bin; bin=$(pg_bin)
  if [ -n "$bin" ] && [ -d "$PG_DIR/data" ]; then
    su postgres -s /bin/sh -c "$bin/pg_ctl -D $PG_DIR/data -m fast stop >/dev/null" || true
  fi
}

# axe-core (from the npm registry) for the accessibility checks of the browser tests.
# axe-core and Lighthouse (12.2.3: the last to run on Node 20) in one install: a second
# --no-save install would prune the first package.
install_axe_core() {
  [ -f tests/.axe/node_modules/axe-core/axe.min.js ] && [ -f tests/.axe/node_modules/lighthouse/cli/index.js ] && return 0
  mkdir -p tests/.axe && (cd tests/.axe && npm install --no-save --no-audit --no-fund --loglevel=error \
    axe-core@4 lighthouse@12.2.3 >/dev/null)
}

# localstripe (PyPI, installed with the Stripe adapter's test extra): a stateful local Stripe.
LOCALSTRIPE_PORT=8420
start_localstripe() {
  command -v localstripe >/dev/null || return 1
  rm -f /tmp/localstripe.pickle  # localstripe keeps its store there: every run starts empty
  localstripe --port "$LOCALSTRIPE_PORT" >/tmp/portalkit-ci-localstripe.log 2>&1 &
  echo $! >/tmp/portalkit-ci-localstripe.pid
  for _ in $(seq 1 50); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://localhost:$LOCALSTRIPE_PORT/js.stripe.com/v3/', timeout=1)" 2>/dev/null \
      && { export LOCALSTRIPE_URL="http://localhost:$LOCALSTRIPE_PORT"; echo "ci: localstripe running on $LOCALSTRIPE_URL"; return 0; }
    sleep 0.2
  done
  return 1
}

stop_localstripe() {
  [ -f /tmp/portalkit-ci-localstripe.pid ] && kill "$(cat /tmp/portalkit-ci-localstripe.pid)" 2>/dev/null || true
}

# Redis for the job engines' tests (Celery, RQ): no persistence, loopback only.
REDIS_PORT=63799
start_redis() {
  command -v redis-server >/dev/null || return 1
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile /tmp/portalkit-ci-redis.pid --logfile /tmp/portalkit-ci-redis.log || return 1
  for _ in $(seq 1 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && { export PORTALKIT_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"; echo "ci: Redis running on 127.0.0.1:$REDIS_PORT"; return 0; }
    sleep 0.1
  done
  return 1
}

stop_redis() {
  [ -f /tmp/portalkit-ci-redis.pid ] && kill "$(cat /tmp/portalkit-ci-redis.pid)" 2>/dev/null || true
}
