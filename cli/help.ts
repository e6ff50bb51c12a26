/** What `bourse --help` and `bourse <command> --help` print. */
export const HELP: Record<string, string> = {
  main: `bourse — an exchange core on Bun

usage: bourse <command> [options]

commands:
  serve              run the exchange with its WebSocket and FIX doors (what npm start runs)
  start              recover the data directory and run a seeded load through it
  recover            rebuild the state as of a sequence number or a time, and report it
  backup             copy a data directory consistently while the exchange runs
  restore            make a data directory from a backup (and later journal segments), to a seq or time
  journal inspect    list the journal's segments and decode its commands
  journal verify     check every record, and replay to compare state hashes
  history status     how far the history store is behind the journal, and what it holds
  history rebuild    rebuild the history store from the journal
  history prune      remove history older than the retention period (recorded)
  statement          an account's CSV statement for a time range
  reconcile          compare a day's history store, balances and custody statement with the journal
  user               add, list, lock, unlock users and reset their TOTP (on the running exchange)
  account            open accounts, credit deposits, set tiers (on the running exchange)
  key                create, list and revoke API keys (on the running exchange)
  config check       check a configuration file: every key, kind and range, and what the keys must agree on
  config reference   print the configuration reference (docs/configuration.md) from the schema

  bourse --version   print the version
  bourse <command> --help   a command's options; every command also takes --debug (stack traces; for serve and start, debug logs)

exit codes: 0 done, 1 runtime error (one line on stderr says what and what to do),
2 usage error (nothing was opened), 70 the engine stopped (serve: after answering what was pending).`,
  start: `usage: bourse start [--data DIR] [--config FILE] [--orders N] [--seed S] [--ack-log]

Recovers DIR (newest snapshot + journal replay), opens and funds the configured accounts on a
fresh directory, then runs a seeded load of N orders through the sequencer, journal and engine,
and prints what it did. Run it again: the state continues from the journal. DIR is created if
it does not exist.

  --data DIR      data directory (default ./data)
  --config FILE   configuration (default config/demo.json)
  --orders N      orders to run (default 10000; 0 = just recover and report; --orders=-1 = until killed)
  --seed S        load seed (default 1)
  --ack-log       print "ack <seq>" for every command once it is durable (crash tests read this)
  --snapshot-every N   commands between snapshots (default 100000)
  --no-fsync      skip fdatasync (benchmarks only: acknowledged commands may be lost in a crash)
  --log-format F  json or pretty (default: pretty on a terminal, json otherwise; docs/logging.md)
  --log-level L   debug, info, warn or error (default info; --debug = debug)`,
  serve: `usage: bourse serve [--data DIR] [--config FILE] [--port N] [--fix-port N] [--workers 0|1]

Recovers DIR (created if it does not exist), funds the configured accounts on a fresh directory,
and serves the binary WebSocket protocol (docs/protocol.md) and a little HTTP (/health, /ready,
/instruments) on one port, and the FIX 4.4 acceptor on another (docs/fix.md). Prints what to
connect to. If the engine stops (a failed fdatasync, an engine bug), every pending request is
answered with an error, /health and /ready answer 503, and the process exits with code 70;
start it again to recover.

  --data DIR      data directory (default ./data)
  --config FILE   configuration (default config/demo.json)
  --port N        port (default: the config's gateway.port, 7070)
  --fix-port N    FIX 4.4 acceptor port (default: the config's fix.port, 9878; docs/fix.md)
  --workers N     0: engine on the main thread (default); 1: engine in a worker
  --log-format F  json or pretty (default: pretty on a terminal, json otherwise; docs/logging.md)
  --log-level L   debug, info, warn or error (default info; --debug = debug)`,
  recover: `usage: bourse recover --until <seq|time> [--data DIR] [--config FILE]

Rebuilds the state from the newest snapshot at or before the target plus the journal, read-only,
and prints the sequence, time, accounts, open orders and state hash. DIR must exist; a sequence
number past the end of the journal is an error.

  --until SEQ     a sequence number, or a time: ISO 8601 ("2026-11-25T10:00:00Z") or µs since the epoch
  --data DIR      data directory (default ./data)
  --config FILE   configuration used when there is no snapshot (default config/demo.json)`,
  backup: `usage: bourse backup --to DIR [--data DIR] [--config FILE]

Copies the data directory into DIR (new or empty) while the exchange runs, without stopping it or
taking its lock: the newest snapshot, the whole journal up to its last durable record, hashes.log, the
SQLite history store (SQLite's online copy; it may be a little behind the journal: the writer
catches up after a restore), the master key with its permissions, TLS material, the FIX and venue
stores; then manifest.json with the seq, the time, and every file's size and SHA-256. Prints the
seq it holds and what it did not carry. docs/backup.md.

  --to DIR        where the backup goes (created; an existing one must be empty)
  --data DIR      data directory (default ./data)
  --config FILE   configuration (default config/demo.json): its hash goes into the manifest, and it
                  says where the history store is`,
  restore: `usage: bourse restore --from BACKUP [--data DIR] [--until SEQ|TIME] [--journal SEGMENTS_DIR] [--force] [--config FILE]

Makes DIR a data directory again from BACKUP: checks every file against the manifest, then copies.
Refuses a DIR a running exchange holds (naming its pid), and a non-empty DIR unless --force, which
moves what is there to DIR.replaced-<time> (nothing is deleted). bourse serve --data DIR then starts
from exactly the seq restored. docs/backup.md.

  --from BACKUP   a directory bourse backup wrote
  --data DIR      the directory to make (default ./data)
  --journal DIR   later journal segments to append after the backup's (the lost host's surviving
                  journal/, or segments shipped off it); a gap between them is refused, naming the seqs
  --until SEQ     stop at this sequence number, or at the last command at or before a time
                  (ISO 8601 or µs since the epoch): point-in-time recovery
  --force         restore into a non-empty DIR, moving its contents aside first
  --config FILE   configuration (default config/demo.json): where the history store goes`,
  journal: `usage: bourse journal inspect [--data DIR] [--from SEQ] [--limit N]
       bourse journal verify [--data DIR] [--config FILE] [--replay]

inspect   lists segments, then one line per command from SEQ (default 1), at most N (default 50)
verify    checks every record's length and checksum and the sequence order; with --replay it
          also replays the journal and compares the state hashes in hashes.log
Both only read DIR (which must exist).`,
  history: `usage: bourse history status  [--data DIR] [--config FILE]
       bourse history rebuild [--data DIR] [--config FILE] [--out FILE]
       bourse history prune   [--data DIR] [--config FILE] [--before TIME] [--operator NAME]

The history store (docs/history.md) is SQLite at DIR/history.db, or PostgreSQL when the config's
history.databaseUrl or the DATABASE_URL environment variable is set.

status    the store's last seq against the journal's (the writer's lag), row counts, retention and
          past prunes; reads beside a running exchange
rebuild   writes the store again from the journal alone, with progress on stderr. In place (the
          exchange must be stopped), or into a new SQLite file with --out FILE
prune     removes rows older than history.retentionDays (default 2557, 7 years), or than --before
          TIME if that is earlier; the prune is recorded in the store with --operator (default $USER)`,
  statement: `usage: bourse statement --account ID --from TIME --to TIME [--data DIR] [--config FILE] [--out FILE]

Writes the account's statement for from ≤ time < to as CSV (RFC 4180; times ISO 8601 UTC, amounts
decimal strings): opening balances, every deposit, withdrawal, trade and fee with the balance after
it, position moves, realized P&L per symbol, closing balances. To FILE, or stdout. Streamed: a year
of an active account is never held in memory. Reads beside a running exchange.

  --from, --to    ISO 8601 (2026-11-01, 2026-11-25T10:00:00Z) or µs since the epoch`,
  reconcile: `usage: bourse reconcile --date YYYY-MM-DD [--custody FILE.csv] [--tolerance SECONDS] [--venue NAME --drop-copy FILE [--venue-tolerance SECONDS]] [--out DIR] [--data DIR] [--config FILE]
       bourse reconcile resolve BREAK_ID --accept "REASON" | --adjusted SEQ [--reason TEXT] [--operator NAME] [--data DIR] [--config FILE]

Reconciles one UTC day (docs/reconciliation.md): the history store's executions and cash movements
against the journal (each present once, with the same fields), every account's end-of-day cash and
positions (the engine replayed to the day's end against the store), and with --custody a bank or
custodian statement's deposits and withdrawals against ours, and with --venue a venue's drop copy
against our fills on the instruments routed to it. Reads only; runs beside a live exchange.
Prints the summary, logs each break at error level, writes breaks.csv and breaks.json.

  --date D         the UTC day
  --custody FILE   the statement: CSV with columns time (ISO 8601 with offset), account, currency,
                   amount, type (deposit|withdrawal), reference
  --tolerance S    how far the bank's time may be from ours, seconds (default 900)
  --venue NAME     a venue of the config's "venues" (its street account, its feeBps)
  --drop-copy FILE its executions: CSV (exec_id, venue_order_id, cl_ord_id, symbol, side, last_qty,
                   last_px, commission, transact_time ISO 8601 with offset) or a FIX 4.4 log, one
                   message a line (35=8 with 150=F are fills)
  --venue-tolerance S  how far the venue's time of a fill may be from ours, seconds (default 5)
  --out DIR        where the report goes (default ./reconcile-D)
  --log-format F, --log-level L   as for serve

resolve records an operator's resolution of a break in the history store, never editing a record:
accepted with a reason, or adjusted by the journaled command (a deposit or withdrawal the operator
made, by its seq) that corrected it. Later runs report the break as resolved, not open.

exit codes: 0 no open breaks, 1 open breaks found, 2 the run failed (or a usage error).`,
  user: `usage: bourse user add --name NAME --role trader|operator|auditor [--accounts 1,2]
       bourse user list
       bourse user lock|unlock|reset-mfa --name NAME

add prints a one-time initial password: the user signs in with it and enrols TOTP (docs/identity.md).
lock ends the user's sessions at once; reset-mfa removes TOTP and recovery codes (a lost phone).

The running exchange is found by --data DIR (default ./data: it holds the operator token the
exchange writes at start, readable only by the user that runs it) and --config FILE (its address;
or --url http://HOST:PORT). Nothing is read from or written to the data directory otherwise:
every action is a call to the exchange's HTTP API (/api/v1), journaled with the operator as its author.`,
  account: `usage: bourse account open --account ID --tier T
       bourse account deposit --account ID --currency USD --amount 100.50
       bourse account tier --account ID --tier T

The running exchange is found by --data DIR (default ./data: it holds the operator token the
exchange writes at start, readable only by the user that runs it) and --config FILE (its address;
or --url http://HOST:PORT). Nothing is read from or written to the data directory otherwise:
every action is a call to the exchange's HTTP API (/api/v1), journaled with the operator as its author.`,
  key: `usage: bourse key create --account ID [--scopes read,trade,withdraw] [--allow-ips 10.0.0.0/8,::1] [--label TEXT]
       bourse key list [--account ID]
       bourse key revoke --key KEY_ID

create prints the key's secret once (it is kept only sealed). revoke closes the key's live
WebSocket and FIX sessions at once.

The running exchange is found by --data DIR (default ./data: it holds the operator token the
exchange writes at start, readable only by the user that runs it) and --config FILE (its address;
or --url http://HOST:PORT). Nothing is read from or written to the data directory otherwise:
every action is a call to the exchange's HTTP API (/api/v1), journaled with the operator as its author.`,
  config: `usage: bourse config check [--config FILE]
       bourse config reference

check       reads FILE (default config/demo.json) as bourse serve would, before anything is opened:
            every key known, of its kind and in range, then what the keys must agree on (unique ids,
            tiers and currencies that exist, each venue's passwordEnv set in this environment). Prints
            every problem, one line each naming the file and the key (exchange.instruments[2].tickSize),
            and exits 1; or prints a summary and exits 0. Run it before a restart, with the service's
            environment (its EnvironmentFile; docs/deployment.md).
reference   prints docs/configuration.md: every key with its path, kind, default and meaning.`,
};
