#!/usr/bin/env bun
/**
 * The operator's command line: start the exchange on a data directory, recover to a point in
 * time, inspect and verify the journal. `bourse <command> --help` for each.
 *
 * Every failure an operator can cause or fix ends here as one line on stderr, `bourse: <what,
 * where, what to do>`, and an exit code (README: The bourse command): 2 for a usage error (caught
 * before any file or directory is opened), 1 for a runtime error, 70 when the engine stopped (a
 * command threw, a journal write or fdatasync failed). A stack trace only with --debug.
 */
import { InvariantError } from "../engine/errors.ts";
import { readFileSync } from "node:fs";
import { checkConfig } from "../app/config-check.ts";
import { loadConfig } from "../app/config.ts";
import { liveNote } from "../actors/data-lock.ts";
import { journalInspect, journalVerify } from "../cli/journal-tools.ts";
import { historyPrune, historyRebuild, historyStatus, statement } from "../cli/history-tools.ts";
import { reconcileCommand, resolveCommand } from "../cli/reconcile-tools.ts";
import { explainRecoveryFailure, OperatorError } from "../actors/operator-error.ts";
import { recover, stateHash } from "../actors/recovery.ts";
import { EngineStoppedError } from "../actors/runtime.ts";
import { runStart } from "../cli/start.ts";
import { backupCommand, restoreCommand } from "../cli/backup-tools.ts";
import { operatorCommand } from "../cli/operator-tools.ts";
import { configCheck, printConfigReference } from "../cli/config-tools.ts";
import { existingDataDir, writableDataDir } from "../cli/data-dir.ts";
import { HELP } from "../cli/help.ts";
import { type Invocation, parseCommandLine, type Values } from "../cli/options.ts";
import { checkPortsFree } from "../app/listen-check.ts";
import { checkServeConfig, doorAddresses } from "../app/exchange.ts";
import { serve } from "../app/serve.ts";
import { createLogger, type Logger } from "../log/logger.ts";

/** EX_SOFTWARE (sysexits.h): the engine stopped after an internal failure; a supervisor restarts it. */
const ENGINE_STOPPED_EXIT = 70;

async function main(argv: string[]): Promise<number> {
  const inv: Invocation = parseCommandLine(argv);
  if (inv.kind === "help") {
    console.log(HELP[inv.topic] ?? HELP.main);
    return 0;
  }
  if (inv.kind === "version") {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
    console.log(`bourse ${pkg.version}`);
    return 0;
  }
  try {
    return await run(inv.command, inv.values);
  } catch (e) {
    // A corrupt journal, wherever it is met, is said with what to do about it (once: the exchange may have said it already).
    throw e instanceof OperatorError ? e : explainRecoveryFailure(e, inv.values.data);
  }
}

async function run(command: string, v: Values): Promise<number> {
  switch (command) {
    case "serve":
      return runServe(v);
    case "start": {
      const config = configFrom(v);
      writableDataDir(v.data);
      await runStart({ dataDir: v.data, config, configFile: v.config, log: logger(v), orders: v.orders, seed: v.seed, ackLog: v.ackLog, fsync: v.fsync, snapshotEvery: v.snapshotEvery, syncerFaults: testSyncerFaults() });
      return 0;
    }
    case "recover":
      return runRecover(v);
    case "backup":
      return backupCommand({ dataDir: v.data, to: v.backupTo!, config: configFrom(v), configFile: v.config });
    case "restore":
      return restoreCommand({ from: v.backupFrom!, dataDir: v.data, until: v.until, journal: v.laterJournal, force: v.force, config: configFrom(v) });
    case "journal inspect":
      existingDataDir(v.data);
      journalInspect(v.data, v.from, v.limit);
      return 0;
    case "journal verify": {
      const config = loadConfig(v.config);
      existingDataDir(v.data);
      return journalVerify(v.data, config.exchange, v.replay);
    }
    case "history status":
      await historyStatus(v.data, configFrom(v));
      return 0;
    case "history rebuild":
      await historyRebuild(v.data, configFrom(v), v.out);
      return 0;
    case "history prune":
      await historyPrune(v.data, configFrom(v), v.before, v.operator);
      return 0;
    case "statement":
      await statement(v.data, configFrom(v), v.account!, v.fromTime!, v.toTime!, v.out);
      return 0;
    case "reconcile resolve":
      return resolveCommand({ dataDir: v.data, config: configFrom(v), breakId: v.breakId!, accept: v.accept, adjustedSeq: v.adjustedSeq, reason: v.reason, operator: v.operator });
    case "reconcile":
      return reconcileCommand({ dataDir: v.data, config: configFrom(v), date: v.date!, custody: v.custody, toleranceSeconds: v.toleranceSeconds, venue: v.venue, dropCopy: v.dropCopy, venueToleranceSeconds: v.venueToleranceSeconds, out: v.out ?? `reconcile-${v.date}`, log: logger(v) });
  }
  if (command === "config check") return configCheck(v.config);
  if (command === "config reference") return printConfigReference();
  if (/^(user|account|key) /.test(command)) return operatorCommand(command, v, loadConfig(v.config));
  throw new InvariantError(`unhandled command ${command}`);
}

/** The config, read and checked before any directory is touched. */
function configFrom(v: Values) {
  const config = loadConfig(v.config);
  checkConfig(config, v.config);
  return config;
}

async function runServe(v: Values): Promise<number> {
  const config = loadConfig(v.config);
  checkServeConfig(config, v.config);
  // A port in use is said before the data directory is created or recovered.
  checkPortsFree(doorAddresses({ config, port: v.port, fixPort: v.fixPort }));
  writableDataDir(v.data);
  const running = await serve({ dataDir: v.data, config, configFile: v.config, log: logger(v), workers: v.workers, port: v.port, fixPort: v.fixPort, syncerFaults: testSyncerFaults() });
  const code = await new Promise<number>((resolve) => {
    process.once("SIGINT", () => resolve(0));
    process.once("SIGTERM", () => resolve(0));
    void running.stopped.then((stop) => {
      console.error(`bourse: the engine stopped (${stop.reason}); ${stop.answered} requests in flight were answered ENGINE_STOPPED; exiting with code ${ENGINE_STOPPED_EXIT}: start it again to recover from the journal`);
      resolve(ENGINE_STOPPED_EXIT);
    });
  });
  await running.close();
  return code;
}

/** The logger `serve` and `start` write with (docs/logging.md). */
function logger(v: Values): Logger {
  return createLogger({ level: v.logLevel, format: v.logFormat });
}

/**
 * Tests only (test/cli/serve-stop.test.ts, test/cli/bourse.test.ts): BOURSE_TEST_FAIL_FSYNC_AFTER=n makes the syncer report
 * an injected EIO instead of its (n+1)th fdatasync, to exercise the engine-stop path end to end.
 */
function testSyncerFaults(): { failAfter: number } | undefined {
  const n = Number(process.env.BOURSE_TEST_FAIL_FSYNC_AFTER ?? "");
  return Number.isSafeInteger(n) && n > 0 ? { failAfter: n } : undefined;
}

function runRecover(v: Values): number {
  const config = loadConfig(v.config);
  existingDataDir(v.data);
  const note = liveNote(v.data);
  if (note) console.error(note);
  const r = recover({
    dataDir: v.data,
    config: config.exchange,
    readOnly: true,
    ...v.until,
    onProgress: (done, total) => process.stderr.write(`\rreplayed ${done} / ${total}`),
  });
  process.stderr.write("\n");
  // A seq past the end is refused by recover (UntilPastEnd); a time past it is answered with the end.
  const untilTime = v.until?.untilTime;
  if (untilTime !== undefined && r.seq === r.journalEnd && r.time < untilTime) {
    console.error(`note: the journal ends at seq ${r.seq} (time ${new Date(r.time / 1000).toISOString()}), before --until ${new Date(untilTime / 1000).toISOString()}: this is the state at its end`);
  }
  console.log(`recovered to seq ${r.seq} (time ${r.time ? new Date(r.time / 1000).toISOString() : "-"}) from snapshot ${r.snapshotSeq} + ${r.replayed} commands`);
  console.log(`accounts ${r.exchange.ledger.accounts.size}, open orders ${r.exchange.open.size}`);
  console.log(`state hash ${stateHash(r.exchange)}`);
  return 0;
}

/** One line for the operator; the stack only with --debug (or for what is not an operator's error, a pointer to it). */
function report(e: unknown, debug: boolean): number {
  const message = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  if (debug) console.error(e instanceof Error ? (e.stack ?? message) : message);
  if (e instanceof OperatorError) {
    if (!debug) console.error(`bourse: ${message}`);
    return e.exitCode;
  }
  // `start`'s load met a stopped engine: the engine's failure, with serve's exit code.
  if (e instanceof EngineStoppedError) {
    if (!debug) console.error(`bourse: ${message}; start it again to recover from the journal`);
    return ENGINE_STOPPED_EXIT;
  }
  if (!debug) console.error(`bourse: ${message} (run again with --debug for the stack trace)`);
  return 1;
}

const argv = process.argv.slice(2);
let code: number;
try {
  code = await main(argv);
} catch (e) {
  code = report(e, argv.includes("--debug"));
}
process.exit(code);
