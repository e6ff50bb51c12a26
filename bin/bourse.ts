#!/usr/bin/env bun
/**
 * The operator's command line: start the exchange on a data directory, recover to a point in
 * time, inspect and verify the journal. `bourse <command> --help` for each.
 */
import { parseArgs } from "node:util";
import { recover, stateHash } from "../actors/recovery.ts";
import { loadConfig } from "../actors/config.ts";
import { journalInspect, journalVerify } from "../actors/journal-tools.ts";
import { runStart } from "../actors/start.ts";
import { serve } from "../gateway/serve.ts";
import { createLogger, defaultFormat, LOG_LEVELS, type Logger, type LogLevel } from "../log/logger.ts";
import { LOG_FORMATS, type LogFormat } from "../log/format.ts";

const LOG_HELP = `  --log-format F  json or pretty (default: pretty on a terminal, json otherwise; docs/logging.md)
  --log-level L   debug, info, warn or error (default info)
  --debug         the same as --log-level debug`;

const HELP: Record<string, string> = {
  main: `bourse — an exchange core on Bun

usage: bourse <command> [options]

commands:
  serve              run the exchange with its WebSocket door (what npm start runs)
  start              recover the data directory and run a seeded load through it
  recover            rebuild the state as of a sequence number or a time, and report it
  journal inspect    list the journal's segments and decode its commands
  journal verify     check every record, and replay to compare state hashes

Run 'bourse <command> --help' for its options.`,
  start: `usage: bourse start [--data DIR] [--config FILE] [--orders N] [--seed S] [--ack-log]

Recovers DIR (newest snapshot + journal replay), opens and funds the configured accounts on a
fresh directory, then runs a seeded load of N orders through the sequencer, journal and engine,
and prints what it did. Run it again: the state continues from the journal.

  --data DIR      data directory (default ./data)
  --config FILE   configuration (default config/demo.json)
  --orders N      orders to run (default 10000; 0 = just recover and report; --orders=-1 = until killed)
  --seed S        load seed (default 1)
  --ack-log       print "ack <seq>" for every command once it is durable (crash tests read this)
  --snapshot-every N   commands between snapshots (default 100000)
  --no-fsync      skip fdatasync (benchmarks only: acknowledged commands may be lost in a crash)
${LOG_HELP}`,
  serve: `usage: bourse serve [--data DIR] [--config FILE] [--port N] [--fix-port N] [--workers 0|1]

Recovers DIR, funds the configured accounts on a fresh directory, and serves the binary WebSocket
protocol (docs/protocol.md) and a little HTTP on one port, and the FIX 4.4 acceptor on another
(docs/fix.md). Prints what to connect to.

  --data DIR      data directory (default ./data)
  --config FILE   configuration (default config/demo.json)
  --port N        port (default: the config's gateway.port, 7070)
  --fix-port N    FIX 4.4 acceptor port (default: the config's fix.port, 9878; docs/fix.md)
  --workers N     0: engine on the main thread (default); 1: engine in a worker
${LOG_HELP}`,
  recover: `usage: bourse recover --until <seq|time> [--data DIR] [--config FILE]

Rebuilds the state from the newest snapshot at or before the target plus the journal, read-only,
and prints the sequence, time, accounts, open orders and state hash.

  --until SEQ     a sequence number, or a time: ISO 8601 ("2026-11-25T10:00:00Z") or µs since the epoch
  --data DIR      data directory (default ./data)
  --config FILE   configuration used when there is no snapshot (default config/demo.json)`,
  journal: `usage: bourse journal inspect [--data DIR] [--from SEQ] [--limit N]
       bourse journal verify [--data DIR] [--config FILE] [--replay]

inspect   lists segments, then one line per command from SEQ (default 1), at most N (default 50)
verify    checks every record's length and checksum and the sequence order; with --replay it
          also replays the journal and compares the state hashes in hashes.log`,
};

function fail(message: string): never {
  console.error(`bourse: ${message}`);
  process.exit(2);
}

function parseUntil(text: string): { untilSeq?: number; untilTime?: number } {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    // Sequence numbers are small; µs-since-epoch times are 16 digits.
    return n < 1e12 ? { untilSeq: n } : { untilTime: n };
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) fail(`--until wants a sequence number or a time, not ${text}`);
  return { untilTime: ms * 1000 };
}

const argv = process.argv.slice(2);
const command = argv[0];
if (!command || command === "--help" || command === "-h" || command === "help") {
  console.log(HELP.main);
  process.exit(0);
}

const sub = command === "journal" ? argv[1] : undefined;
const rest = argv.slice(command === "journal" ? 2 : 1);
const { values } = parseArgs({
  args: rest,
  options: {
    help: { type: "boolean", short: "h" },
    data: { type: "string", default: "data" },
    config: { type: "string", default: "config/demo.json" },
    orders: { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
    "ack-log": { type: "boolean" },
    "no-fsync": { type: "boolean" },
    "snapshot-every": { type: "string", default: "100000" },
    port: { type: "string" },
    "fix-port": { type: "string" },
    workers: { type: "string", default: "0" },
    until: { type: "string" },
    from: { type: "string", default: "1" },
    limit: { type: "string", default: "50" },
    replay: { type: "boolean" },
    "log-format": { type: "string" },
    "log-level": { type: "string" },
    debug: { type: "boolean" },
  },
  strict: true,
});

if (values.help) {
  console.log(HELP[command] ?? HELP.main);
  process.exit(0);
}

/** The logger `serve` and `start` write with: --log-level (or --debug), --log-format. */
function makeLogger(): Logger {
  const level = values["log-level"] ?? (values.debug ? "debug" : "info");
  if (!LOG_LEVELS.includes(level as LogLevel)) fail(`--log-level wants one of ${LOG_LEVELS.join(", ")}, not ${level}`);
  const format = values["log-format"] ?? defaultFormat();
  if (!LOG_FORMATS.includes(format as LogFormat)) fail(`--log-format wants one of ${LOG_FORMATS.join(", ")}, not ${format}`);
  return createLogger({ level: level as LogLevel, format: format as LogFormat });
}

switch (command) {
  case "serve": {
    const log = makeLogger();
    const running = await serve({ dataDir: values.data!, config: loadConfig(values.config!), workers: Number(values.workers), port: values.port ? Number(values.port) : undefined, fixPort: values["fix-port"] ? Number(values["fix-port"]) : undefined, log });
    const stop = async (signal: string) => {
      log.info("signal received", { signal });
      await running.close();
      process.exit(0);
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
    break;
  }
  case "start":
    await runStart({
      dataDir: values.data!,
      config: loadConfig(values.config!),
      orders: Number(values.orders),
      seed: Number(values.seed),
      ackLog: values["ack-log"] === true,
      fsync: values["no-fsync"] !== true,
      snapshotEvery: Number(values["snapshot-every"]),
      log: makeLogger(),
    });
    break;
  case "recover": {
    if (!values.until) fail("recover needs --until <seq|time> (see bourse recover --help)");
    const target = parseUntil(values.until);
    const r = recover({
      dataDir: values.data!,
      config: loadConfig(values.config!).exchange,
      readOnly: true,
      ...target,
      onProgress: (done, total) => process.stderr.write(`\rreplayed ${done} / ${total}`),
    });
    process.stderr.write("\n");
    console.log(`recovered to seq ${r.seq} (time ${r.time ? new Date(r.time / 1000).toISOString() : "-"}) from snapshot ${r.snapshotSeq} + ${r.replayed} commands`);
    console.log(`accounts ${r.exchange.ledger.accounts.size}, open orders ${r.exchange.open.size}`);
    console.log(`state hash ${stateHash(r.exchange)}`);
    break;
  }
  case "journal":
    if (sub === "inspect") journalInspect(values.data!, Number(values.from), Number(values.limit));
    else if (sub === "verify") process.exitCode = journalVerify(values.data!, loadConfig(values.config!).exchange, values.replay === true);
    else fail(`journal wants 'inspect' or 'verify', not ${sub ?? "nothing"}`);
    break;
  default:
    fail(`unknown command ${command}; try bourse --help`);
}
