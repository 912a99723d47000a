# Starts the servers the test suite needs (PostgreSQL, Redis), each private to this run, on a free loopback port in a
# temporary folder, and stops them when the calling script exits. Sourced by scripts/test.
# Installs what is missing from Debian's packages. Any failure here fails the run: CI never skips.

services_dir=""

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

apt_install() {
    echo "installing $* (Debian packages)" >&2
    if [ -z "${apt_updated:-}" ]; then
        apt-get update -qq >&2
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# Runs a PostgreSQL tool as the unprivileged postgres user when we are root (initdb refuses root).
as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

postgres_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && echo "$dir"
}

# start_postgres NAME VARIABLE [tls]: a cluster in $services_dir/NAME; exports VARIABLE_URL, and VARIABLE_STOP and
# VARIABLE_START, commands the tests use to take that server down and bring it back; with "tls" the server also
# accepts TLS, with a certificate of the run's throwaway CA, which VARIABLE_TLS_CA names.
start_postgres() {
    local name=$1 variable=$2 tls=${3:-} bin port data
    bin=$(postgres_bin) || true
    if [ -z "$bin" ]; then
        apt_install postgresql
        bin=$(postgres_bin)
    fi
    port=$(free_port)
    data="$services_dir/$name"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres "$data"
    as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-sync >"$services_dir/$name-initdb.log" 2>&1 \
        || { cat "$services_dir/$name-initdb.log" >&2; return 1; }
    local options="-p $port -k $services_dir -c listen_addresses=127.0.0.1,127.0.0.2 -c fsync=off -c full_page_writes=off"
    if [ "$tls" = tls ]; then
        local certificates="$services_dir/$name-tls"
        mkdir -p "$certificates"
        make_test_certificates "$certificates"
        chmod 600 "$certificates/server.key"
        [ "$(id -u)" = 0 ] && chown -R postgres "$certificates"
        options="$options -c ssl=on -c ssl_cert_file=$certificates/server.crt -c ssl_key_file=$certificates/server.key"
        export "${variable}_TLS_CA=$certificates/ca.crt"
    fi
    local prefix=""
    if [ "$(id -u)" = 0 ]; then prefix="runuser -u postgres -- "; fi
    local start="$prefix$bin/pg_ctl -D $data -o '$options' -l $services_dir/$name.log -w -t 60 start"
    eval "$start" >/dev/null || { cat "$services_dir/$name.log" >&2; return 1; }
    export "${variable}_URL=postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    export "${variable}_STOP=$prefix$bin/pg_ctl -D $data -m fast -w -t 60 stop"
    # Immediate mode is a crash as PostgreSQL sees one: no checkpoint, WAL replay on the next start.
    export "${variable}_KILL=$prefix$bin/pg_ctl -D $data -m immediate -w -t 60 stop"
    export "${variable}_START=$start"
    postgres_stops+=("$prefix$bin/pg_ctl -D $data -m immediate -w stop")
    echo "PostgreSQL '$name' ready on 127.0.0.1:$port" >&2
}

postgres_stops=()

# A throwaway CA and a server certificate for 127.0.0.1 and localhost, so the tests can speak TLS to local servers.
# The servers also listen on 127.0.0.2, which the certificate does not name: the tests of host-name checks use it.
make_test_certificates() {
    local dir=$1
    command -v openssl >/dev/null || apt_install openssl
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=swift-sessions test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
        -extfile "$dir/server.ext" -out "$dir/server.crt" >/dev/null 2>&1
}

# start_redis NAME VARIABLE [tls|durable]: a redis-server in $services_dir/NAME; exports VARIABLE_URL,
# VARIABLE_STOP (saves first), VARIABLE_KILL (SIGKILL) and VARIABLE_START; with "tls" also VARIABLE_TLS_URL and
# VARIABLE_TLS_CA. Only a "durable" server keeps its data through a kill (an append-only file, fsync on every
# write); the others keep it only through a STOP.
start_redis() {
    local name=$1 variable=$2 tls=${3:-} port dir
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || apt_install redis-server redis-tools
    port=$(free_port)
    dir="$services_dir/$name"
    mkdir -p "$dir"
    {
        echo "bind 127.0.0.1 127.0.0.2"
        echo "port $port"
        echo "dir $dir"
        echo "daemonize yes"
        echo "pidfile $dir/redis.pid"
        echo "logfile $dir/redis.log"
        echo "save \"\""
        # DEBUG SLEEP stalls the server for the tests of commands pipelined behind one that times out.
        echo "enable-debug-command local"
        if [ "$tls" = durable ]; then
            echo "appendonly yes"
            echo "appendfsync always"
        else
            echo "appendonly no"
        fi
    } >"$dir/redis.conf"
    if [ "$tls" = tls ]; then
        local tls_port
        tls_port=$(free_port)
        make_test_certificates "$dir"
        {
            echo "tls-port $tls_port"
            echo "tls-cert-file $dir/server.crt"
            echo "tls-key-file $dir/server.key"
            echo "tls-ca-cert-file $dir/ca.crt"
            echo "tls-auth-clients no"
        } >>"$dir/redis.conf"
        export "${variable}_TLS_URL=rediss://127.0.0.1:$tls_port"
        export "${variable}_TLS_CA=$dir/ca.crt"
    fi
    local start="redis-server $dir/redis.conf && for i in \$(seq 100); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.1; done; redis-cli -p $port ping >/dev/null"
    eval "$start" || { cat "$dir/redis.log" >&2; return 1; }
    export "${variable}_URL=redis://127.0.0.1:$port"
    export "${variable}_STOP=redis-cli -p $port shutdown save"
    export "${variable}_KILL=kill -9 \$(cat $dir/redis.pid)"
    export "${variable}_START=$start"
    redis_stops+=("redis-cli -p $port shutdown nosave")
    echo "Redis '$name' ready on 127.0.0.1:$port" >&2
}

redis_stops=()

stop_services() {
    local stop
    for stop in "${postgres_stops[@]}" "${redis_stops[@]}"; do
        eval "$stop" >/dev/null 2>&1 || true
    done
    [ -n "$services_dir" ] && rm -rf "$services_dir"
}

start_services() {
    services_dir=$(mktemp -d /tmp/swift-sessions-services.XXXXXX)
    chmod 755 "$services_dir"
    [ "$(id -u)" = 0 ] && chown postgres "$services_dir"
    trap stop_services EXIT
    # One server the tests share, one that a test stops and restarts between requests, and one that a test
    # kills in the middle of a load run.
    start_postgres postgres SESSIONS_TEST_POSTGRES tls
    start_postgres postgres-outage SESSIONS_TEST_POSTGRES_OUTAGE
    start_postgres postgres-crash SESSIONS_TEST_POSTGRES_CRASH
    start_redis redis SESSIONS_TEST_REDIS tls
    start_redis redis-outage SESSIONS_TEST_REDIS_OUTAGE
    start_redis redis-crash SESSIONS_TEST_REDIS_CRASH durable
}
