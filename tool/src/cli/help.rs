//! The help texts: `hypobus --help` and `hypobus COMMAND --help`.

pub const COMMANDS: [&str; 12] =
    ["broker", "op", "calc", "client", "lab", "ctl", "task-broker", "worker", "task", "watch", "keygen", "check"];

const BROKER_HELP: &str = "  --broker LIST         brokers to connect to (default 127.0.0.1, ports 5555:5556):
                        comma-separated, or --broker repeated, for a primary and
                        a backup broker; each HOST[:XSUB_PORT:XPUB_PORT],
                        [IPV6]:XSUB_PORT:XPUB_PORT or XSUB_ENDPOINT|XPUB_ENDPOINT
                        (e.g. 'tcp://10.0.0.2:5555|tcp://10.0.0.2:5556'): the broker
                        lists of the C library and the bindings (docs/PROTOCOL.md)";

const ROLE_HELP: &str = "  --stats-every-ms N    print the counters every N ms on stdout (default: only at the end)
  --quiet               no event logs on stderr
  -h, --help            this help

Runs until SIGINT (Ctrl-C) or SIGTERM, then stops cleanly and prints its
counters on one line on stdout. Event logs go to stderr, one line per event.";

/// The help text of `cmd`, or the general one.
pub fn help(cmd: Option<&str>) -> String {
    match cmd {
        Some("broker") => format!(
            "\
usage: hypobus broker [--xsub EP] [--xpub EP] [--hb EP] [--hb-interval-ms N] [--no-hb]
       hypobus broker --role primary|backup --peer-hb EP [--peer-interval-ms N]
                      [--misses N] [--ctl EP] [--xsub EP] [--xpub EP] [--hb EP] [--hb-interval-ms N]

The broker: forwards every publication from its XSUB socket (publishers
connect there) to its XPUB socket (subscribers connect there), and sends a
one-frame `HB` heartbeat on its heartbeat socket.

  --xsub EP             endpoint to bind for publishers (default tcp://*:5555)
  --xpub EP             endpoint to bind for subscribers (default tcp://*:5556)
  --hb EP               endpoint to bind for heartbeats (default tcp://*:5560)
  --hb-interval-ms N    heartbeat period in ms, N >= 1 (default 1000)
  --no-hb               no heartbeat socket (not with --role)
{ROLE_HELP}

Failover: with --role it is one broker of a primary/backup pair (the ZeroMQ
guide's Binary Star); each watches the other's heartbeats.

  --role primary|backup this broker's role in the pair
  --peer-hb EP          the other broker's heartbeat endpoint, e.g. tcp://hostB:5560
                        (a bare port means 127.0.0.1); required with --role
  --peer-interval-ms N  the other broker's heartbeat period (default: --hb-interval-ms;
                        1000 for an original primary)
  --misses N            missed heartbeats before the other counts as dead (default 3)
  --ctl EP              bind a control endpoint for `hypobus ctl EP status|handback`

Both brokers stay bound; only the active one forwards. The backup takes over
when the primary is silent for misses x interval. A primary that starts while
the backup is active stays passive (no split brain, no duplicates) until the
backup hands back (`hypobus ctl EP handback`). Heartbeats are the classic `HB`
plus a state message, so an original primary (only `HB`) counts as an active
primary. Details: docs/PROTOCOL.md. Every state change is logged on stderr
and printed on stdout as `event <role>: active|passive <unix-ms> <reason>`.

EP is a ZeroMQ endpoint such as tcp://*:5555 or tcp://127.0.0.1:5555, or a
bare port number (5555 means tcp://*:5555). Port 0 or * picks a free port; the
endpoints actually bound are printed at start."
        ),
        Some("check") => CHECK_HELP.to_string(),
        Some("ctl") => "\
usage: hypobus ctl EP status|handback [--timeout-ms N]

Asks a failover broker through its control endpoint (`hypobus broker --role …
--ctl EP`) and prints the answer on stdout:

  status                its role and state, e.g. `backup active`
  handback              asks an active backup to hand the traffic back to a live,
                        passive primary: `ok`, or `error: <why>`

  EP                    tcp://HOST:PORT, HOST:PORT, or a bare port (on 127.0.0.1)
  --timeout-ms N        give up after N ms, N >= 1 (default 2000)
  -h, --help            this help

Exit status: 0 with a status or `ok`; 1 on an `error: …` answer or no answer
in time; 2 for a usage error."
            .to_string(),
        Some("op") => format!(
            "\
usage: hypobus op --lane N [--broker LIST]...

An operation node: answers calc.square.request.N with the square of the value
on calc.square.result.N (tagged requests get tagged answers and bad values an
error answer; classic requests get classic answers).

  --lane N              lane to serve, N >= 1 (1 = cathetus a, 2 = cathetus b); required
{BROKER_HELP}
{ROLE_HELP}"
        ),
        Some("calc") => format!(
            "\
usage: hypobus calc [--broker LIST]... [--timeout-ms N]

The calculation node: takes the two catheti of each request (calc.request.1
and .2), asks the operation nodes for their squares, computes a missing square
itself after the time-out, and answers with the hypotenuse (4 decimals).
Classic (untagged) requests are answered on calc.hypotenuse.result.

  --timeout-ms N        wait for the operation nodes' squares, N >= 1 (default 2000)
{BROKER_HELP}
{ROLE_HELP}"
        ),
        Some("client") => format!(
            "\
usage: hypobus client A B [--broker LIST]... [--classic] [--timeout-ms N]

Asks for the hypotenuse of the catheti A and B (non-negative decimal numbers
such as 12 or 1.5) and prints it with 4 decimals on stdout, alone on its line.

  --classic             speak the original lab's untagged wire (for an original
                        calc server); only one such client may ask at a time
  --timeout-ms N        give up after N ms, N >= 1 (default 5000)
{BROKER_HELP}
  -v, --verbose         event logs on stderr (off by default)
  -h, --help            this help

Exit status: 0 with the answer on stdout; 1 when no answer came in time or the
lab answered with an error (message on stderr); 2 for a usage error."
        ),
        Some("lab") => "\
usage: hypobus lab [--requests N] [--clients N] [--calc-timeout-ms N] [--failover-hb-ms N]
       hypobus lab --scenario normal|fallback|failover [--mermaid FILE] [--svg FILE]

Starts the whole lab in this process on loopback (a broker, two operation
nodes and a calc node, on free ports), runs a batch that shows what it does
and how fast, prints a report and stops everything. Exit status 0 when every
check passed, 1 otherwise.

Stages: one client (12 13, 3 4, 1.5 2); N sequential requests; concurrent
clients each checking every answer; N requests in flight from one client;
lane 1's operation node stopped (the calc node falls back) and restarted;
bad input from a raw ZeroMQ publisher; broker failover: a primary and a backup
broker run as `hypobus broker --role …` processes, 4 clients stream requests
through both, the primary is killed (SIGKILL) mid-stream and restarted, then
the backup hands back; the report gives the gap, lost and duplicated answers.

  --requests N          requests of the sequential and pipelined stages (default 3000)
  --clients N           concurrent clients (default 8)
  --per-client N        requests per concurrent client (default 200)
  --window N            requests in flight in the pipelined stage (default 256)
  --calc-timeout-ms N   the calc node's wait for squares (default 300, short so the
                        fallback stage is quick; the lab's own value is 2000)
  --failover-hb-ms N    heartbeat period of the failover stage's brokers (default 100;
                        the backup takes over after 3 missed heartbeats)
  -v, --verbose         event logs of every role on stderr
  -h, --help            this help

With --scenario it runs one story of the lab on loopback, watched by
`hypobus watch`, prints its sequence diagrams and writes them for a report:
normal (one request, primary broker), fallback (operation node 1 stopped: the
calc node computes that square), failover (the primary broker is killed, the
backup takes over; brokers run as processes).

  --scenario S          normal, fallback or failover
  --mermaid FILE        write the diagrams as Markdown with Mermaid blocks
  --svg FILE            write them as one SVG"
            .to_string(),
        Some("keygen") => "\
usage: hypobus keygen NAME [--meta KEY=VALUE]... [--force]

Write a new CURVE certificate in CZMQ's format: NAME (the public key, to
hand to others) and NAME_secret (the secret key, mode 0600). CZMQ and
pyzmq's zmq.auth.load_certificate read them.

  --meta KEY=VALUE      metadata in the certificate (e.g. --meta name=broker-1)
  --force               overwrite existing files
  -h, --help            this help

Then give the roles keys with --curve-cert, --curve-server, --curve-allow:

  hypobus keygen broker                                    # broker, broker_secret
  hypobus broker --curve-cert broker_secret                # encrypted; any client with the key
  hypobus calc --curve-server broker                       # every node: the broker's public file
  hypobus keygen calc && mkdir allowed && cp calc allowed/ # an allow-list of clients
  hypobus broker --curve-cert broker_secret --curve-allow allowed
  hypobus calc --curve-server broker --curve-cert calc_secret"
            .to_string(),
        Some("watch") => format!(
            "\
usage: hypobus watch [--broker B [--hb EP]]... [--summary] [--http ADDR:PORT]
                     [--record N] [--mermaid FILE] [--svg FILE] [--json] [--full]
                     [--duration-ms N]

A passive observer of the lab: subscribes to everything on each broker's XPUB
port (and its heartbeats), reconstructs each request's path from the wire
alone (client -> calc, calc -> op lanes, op -> calc, calc -> client, in tagged
and classic mode) and prints one sequence diagram per request, with the time
of every hop, resends, duplicates, error answers, fallbacks and broker
switches. Works with original programs too. Details: docs/PROTOCOL.md.

{BROKER_HELP}
  --hb EP               the heartbeat endpoint of the --broker before it (default
                        for a bare HOST: tcp://HOST:5560); tells who is active
  --summary             one line per second (req/s, p50/p99, fallbacks, errors,
                        active broker) instead of a diagram per request
  --http ADDR:PORT      serve a live page (SVG sequence diagram, role counters,
                        failover timeline), e.g. --http 127.0.0.1:8080
  --record N            stop after N requests
  --mermaid FILE        write the diagrams (Markdown with Mermaid blocks) at the end
  --svg FILE            write the diagrams as one SVG at the end
  --json                one JSON object per line (requests, broker and role events)
  --full                take in every message even under load (no sampling)
  --duration-ms N       stop after N ms
  -v, --verbose         event logs on stderr
  -h, --help            this help

Runs until SIGINT (Ctrl-C), SIGTERM, --record or --duration-ms.
Under load (over 5000 messages/s) it samples 20 ms per second."
        ),
        Some("task-broker") => format!(
            "\
usage: hypobus task-broker [--frontend EP] [--backend EP] [--policy lru|load]
                           [--store memory|sqlite:PATH|postgres://…] [--db PATH] [--full-sync]
                           [--answer-timeout-ms N] [--max-attempts N] [--service-wait-ms N]
                           [--hb-interval-ms N] [--liveness N] [--name NAME]
                           [--state EP --peer 'STATE_EP|FRONTEND_EP'... [--peer-interval-ms N]]

A task broker (the course's request/reply brokers): clients connect to the
frontend, workers to the backend; each request goes to one ready worker of
its service and its answer back to the client that sent it. The course's
frames work unchanged (REQ clients, REQ workers that register with an empty
message); our clients and workers (hypobus task / hypobus worker, the C and
binding APIs) add request ids, services, load, heartbeats. docs/PROTOCOL.md.

  --frontend EP         endpoint to bind for clients (default tcp://*:5570)
  --backend EP          endpoint to bind for workers (default tcp://*:5571)
  --policy lru|load     lru: the least recently used ready worker (default);
                        load: the ready worker reporting the least load
  --store memory|sqlite:PATH|postgres://USER@HOST:PORT/DB
                        where requests and results are journaled (default memory);
                        with a file or a database, a broker killed and restarted on
                        it finishes every accepted request, and results can be
                        fetched by id; PostgreSQL: the database and its schema are
                        created on first use, psql shows them in the view results
  --db PATH             the same as --store sqlite:PATH
  --full-sync           every commit on disk (survives power loss, slower): SQLite
                        synchronous=FULL, PostgreSQL synchronous_commit=on
  --answer-timeout-ms N a dispatched request unanswered for N ms goes to another
                        worker; the first one's late answer is dropped (default 5000)
  --max-attempts N      dispatches before a request fails with an error (default 5)
  --service-wait-ms N   a request for a service no worker serves waits N ms for
                        one, then gets an error (default 5000)
  --hb-interval-ms N    heartbeats to and from workers (default 1000)
  --liveness N          missed heartbeats before a worker or peer is dead (default 3)
  --name NAME           this broker's name in logs and toward peers (default task-PID)
  --state EP            peering: bind a PUB endpoint publishing the spare capacity
  --peer 'STATE_EP|FRONTEND_EP'
                        peering: a peer broker's capacity endpoint and frontend
                        (repeat for more peers); requests with no ready local
                        worker go to a peer with capacity
  --peer-interval-ms N  capacity publication period (default 1000)
{ROLE_HELP}"
        ),
        Some("worker") => format!(
            "\
usage: hypobus worker [--broker EP] [--service S]... [--threads N] [--delay-ms N]
                      [--tag TEXT] [--load N] [--hb-interval-ms N] [--liveness N] [--name NAME]

A task worker with a built-in handler: answers every request with its own
body (`TEXT:body` with --tag), after --delay-ms of simulated work, on a pool
of --threads handler threads. It registers with the broker, heartbeats, and
registers again when the broker restarts.

  --broker EP           the task broker's backend (default tcp://127.0.0.1:5571)
  --service S           a service to serve (repeat; default: the default service)
  --threads N           handler threads = requests held at once (default 1)
  --delay-ms N          work time per request (default 0)
  --tag TEXT            answer TEXT:body
  --load N              report load N instead of the share of busy threads
  --hb-interval-ms N    heartbeat period, the broker's (default 1000)
  --liveness N          missed broker heartbeats before reconnecting (default 3)
  --name NAME           prefix of the worker's routing id (default w)
{ROLE_HELP}"
        ),
        Some("task") => "\
usage: hypobus task [--broker EP] [--service S] [--timeout-ms N] [--tries N]
                    [--id ID] [--ids] [--wait-ms N] BODY...
       hypobus task [--broker EP] --fetch ID...

Sends each BODY as a request (all at once) and prints each result on its own
line, in order. Lazy pirate: a request unanswered for --timeout-ms is sent
again with the same id (on a fresh socket when the broker was silent), and
gives up after --tries sends. --fetch asks for the outcome of earlier
requests by id (waiting for those still running).

  --broker EP           the task broker's frontend (default tcp://127.0.0.1:5570)
  --service S           the service of the requests (default: the default service)
  --timeout-ms N        wait per try (default 2500)
  --tries N             sends before giving up (default 3)
  --id ID               the id of the request (one BODY only)
  --ids                 print ID<TAB>result
  --wait-ms N           give up on the whole batch after N ms (default: tries x time-out + 1 s)
  -v, --verbose         event logs and the counters on stderr
  -h, --help            this help

Exit status: 0 when every request got a result; 1 when one failed or gave up
(its error on stderr); 2 for a usage error."
            .to_string(),
        _ => "\
usage: hypobus <command> [options]

The ZeroMQ hypotenuse lab, one role per command:

  broker    forward publications between nodes (XSUB/XPUB) and send heartbeats
  op        an operation node: squares the values of one lane
  calc      the calculation node: catheti in, hypotenuse out
  client    ask for one hypotenuse: hypobus client 12 13  ->  17.6918
  lab       run every role in this process on loopback and show them working
  ctl       ask a failover broker for its state, or ask the backup to hand back
  task-broker  a task broker between clients and pools of workers (lru, load, services)
  worker    a task worker (echo handler) for a task broker
  task      send requests to a task broker and print the results
  watch     observe the lab: a sequence diagram per request, a live web page
  keygen    write a CURVE certificate pair (NAME, NAME_secret) for encrypted labs
  check     grade a program that plays a role of the lab: hypobus check calc -- python3 calc.py
  help      this help, or `hypobus help <command>`

Run `hypobus <command> --help` for its options. A whole lab on one machine:

  hypobus broker &
  hypobus op --lane 1 &
  hypobus op --lane 2 &
  hypobus calc &
  hypobus client 12 13

With a backup broker (see `hypobus broker --help`):

  hypobus broker --role primary --peer-hb tcp://B:5560 --ctl 5570        # on host A
  hypobus broker --role backup  --peer-hb tcp://A:5560 --ctl 5570        # on host B
  hypobus op --lane 1 --broker A --broker B   # and so on: every node knows both

Task brokers (request/reply: many clients, pools of workers, see
`hypobus task-broker --help`):

  hypobus task-broker --db tasks.db &          # journal in SQLite: survives a kill
  hypobus worker --threads 4 --tag w1 &
  hypobus task hello world                     # -> w1:hello, w1:world

Encrypted and authenticated (CURVE; see `hypobus keygen --help`): the
broker, op, calc, client, watch, task-broker, worker and task commands take
  --curve-cert FILE     this role's secret certificate (NAME_secret) or Z85 secret key
  --curve-server FILE   the brokers' public certificate (NAME) or Z85 public key
  --curve-allow DIR     brokers (and task brokers): only clients whose certificates are in DIR

Options:
  -h, --help     this help
  -V, --version  print the version"
            .to_string(),
    }
}

const CHECK_HELP: &str = "\
usage: hypobus check calc|op|client|broker|backup [--lane N] [--free-ports] [--startup-ms N]
                     [--markdown FILE] [--json FILE] [--batch DIR] -- COMMAND [ARG]...

Grades a program that plays one role of the lab, in any language: runs
COMMAND (unchanged) as ROLE inside a lab of the library's reference roles (a
primary and a backup broker, operation nodes, a calc node), runs the role's
scenarios against it, each bounded in time, and reports each as passed or
failed with one sentence why and, for a failed request, its sequence diagram
drawn by the observer from the wire. Every process it starts is ended (by
PID and process group) before it exits.

The lab's endpoints are in the program's environment and replace
placeholders in its arguments: $HYPOBUS_BROKER / {broker} (HOST:XSUB:XPUB of
the primary), $HYPOBUS_BACKUP / {backup}, $HYPOBUS_BROKERS / {brokers} (both,
comma-separated), $HYPOBUS_XSUB / {xsub}, $HYPOBUS_XPUB / {xpub}, $HYPOBUS_HB
/ {hb} (tcp:// endpoints; BACKUP_ variants too), *_PORT; for op
$HYPOBUS_LANE / {lane}; for client $HYPOBUS_A / {a} and $HYPOBUS_B / {b}, the
catheti to ask for; for backup $HYPOBUS_BACKUP_XSUB / {backup_xsub} (and
_XPUB, _HB, _CTL: its own endpoints to bind), $HYPOBUS_HB / {hb} (the
primary's heartbeats), $HYPOBUS_HB_INTERVAL_MS (200). docs/CHECK.md lists
every variable and scenario.

  --lane N              the op role's lane (default 1)
  --free-ports          brokers on free loopback ports (default: the lab's own,
                        primary 5555/5556 hb 5560, backup 5565/5566 hb 5570)
  --startup-ms N        how long the program may take to answer first (default 20000)
  --markdown FILE       write the report as Markdown, with Mermaid diagrams
  --json FILE           write Gradescope's results.json (tests: name, score, max_score, output)
  --batch DIR           grade every folder of DIR (COMMAND runs inside each; {dir}
                        is its path); writes check.md and results.json into each,
                        prints a summary table; --markdown/--json get the summary
  -h, --help            this help

Exit status: 0 when no scenario failed, 1 when one did, 2 for a usage error,
3 when the lab could not start.

  hypobus check calc --free-ports -- python3 calc.py {broker} {backup}
  hypobus check op --lane 2 --json results.json -- node op.js
  hypobus check client -- python3 client.py {a} {b} {broker} {backup}
  hypobus check broker -- python3 primary.py {xsub_port} {xpub_port} {hb_port}
  hypobus check backup -- python3 backup.py {hb} {backup_xsub_port} {backup_xpub_port}";
