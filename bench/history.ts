/**
 * History writer benchmark: the writer's sustained rows/s, against a bare batched insert into the
 * same database in the same run, and its lag behind the engine (and its cost to the engine) at the
 * durable pipeline's maximum rate, for SQLite and PostgreSQL.
 *
 *   bun run bench/history.ts [--commands N] [--pg-commands N] [--live-commands N] [--batch-rows R] [--offline-trials T]
 *                            [--live-trials T] [--live-pg-trials T] [--catch-up-seconds S] [--sample-ms MS] [--burst B]
 *                            [--warmup W] [--seed S] [--no-postgres] [--no-live-postgres]
 *                            [--admin-url URL] [--dir BASE] [--json] [--long]
 *
 *   1. offline: one journal (config/demo.json's seed commands + the pipeline's LoadStream, run by an
 *      embedded Runtime), then HistoryWriter.catchUp(0 → N) timed into a store that writes nothing
 *      (replay + row building), a fresh SQLite file and a throwaway PostgreSQL database;
 *   2. the same batches written by the store alone (no replay), and a bare batched insert of the
 *      same rows into fresh copies of the same tables: SQLite one prepared INSERT per table in one
 *      transaction per batch, PostgreSQL one COPY … FROM STDIN per table per batch;
 *   3. live: the embedded runtime with fsync on, flooded as bench/pipeline.ts floods it, with and
 *      without a HistoryWriterHost following it, trials alternating; the engine's rate both ways and
 *      the writer's lag, sampled every --sample-ms.
 * Progress and tables go to stderr; with --json the last line of stdout is one JSON object.
 */
import { cpus, loadavg } from "node:os";
import { rmSync } from "node:fs";
import { median, summarize } from "./kit/histogram.ts";
import { log } from "./kit/args.ts";
import { hostBusy, hostTicks, int, ms, table } from "./kit/report.ts";
import { gc } from "./pipeline-options.ts";
import { buildStream } from "./pipeline-trials.ts";
import { parseArgs } from "./history-options.ts";
import { bareInsert, followOnly, type Pass, prefix, replayOnly, storeAlone, TABLE_KEYS, writeJournal, writerPostgres, writerSqlite } from "./history-offline.ts";
import { type Backend, type LiveTrial, liveTrial } from "./history-live.ts";
import { executionsOnly, type ExecutionsFigure, reachable, ThrowawayDb } from "./history-pg.ts";

const o = parseArgs(process.argv.slice(2));
const command = `bun run bench/history.ts ${process.argv.slice(2).join(" ")}`.trim();
const wall0 = performance.now();
const ticks0 = hostTicks();

let pgVersion: string | null = null;
if (o.postgres) {
  pgVersion = await reachable(o.adminUrl);
  if (pgVersion === null) {
    log(`WARNING PostgreSQL does not answer at ${o.adminUrl}: its parts are skipped`);
    o.postgres = false;
    o.livePostgres = false;
  }
}
const backends: Backend[] = o.postgres ? ["sqlite", "postgres"] : ["sqlite"];

// ---------------------------------------------------------------- 1 + 2: offline

log(`journal: ${int(o.pipe.commands)} LoadStream commands after the demo seed, seed ${o.pipe.seed}, written by an embedded Runtime`);
const j = await writeJournal(o);
log(`  ${int(j.commands)} commands, ${int(j.rows)} rows (${(j.rows / j.commands).toFixed(2)} per command) in ${j.batches.length} batches`);

// The PostgreSQL passes write the batches through the first --pg-commands commands.
const jp = o.postgres ? prefix(j, o.pgCommands) : j;
const on = (b: Backend) => (b === "postgres" ? jp : j);
if (o.postgres) log(`  PostgreSQL passes: the first ${int(jp.commands)} commands, ${int(jp.rows)} rows in ${jp.batches.length} batches`);

type Kind = "follow" | "replay" | `${"writer" | "store" | "bare"}-${Backend}`;
const kinds: Kind[] = ["follow", "replay", ...backends.flatMap((b) => [`writer-${b}`, `store-${b}`, `bare-${b}`] as Kind[])];
const passes = new Map<Kind, Pass[]>(kinds.map((k) => [k, []]));
// (writeJournal's untimed pass that kept the batches also warmed the JIT on the replay and row building.)
for (let t = 0; t < o.offlineTrials; t++) {
  const order = kinds.map((_, k) => kinds[(k + t) % kinds.length]!);
  log(`offline trial ${t + 1}/${o.offlineTrials}: ${order.join(", ")}`);
  for (const k of order) {
    gc();
    let p: Pass;
    if (k === "follow") p = await followOnly(j);
    else if (k === "replay") p = await replayOnly(j, o);
    else if (k === "writer-sqlite") p = await writerSqlite(j, o);
    else if (k === "writer-postgres") p = await writerPostgres(jp, o);
    else {
      const [what, b] = k.split("-") as ["store" | "bare", Backend];
      p = what === "store" ? await storeAlone(on(b), b, o) : await bareInsert(on(b), b, o);
    }
    const want = k === "follow" ? 0 : k.endsWith("postgres") ? jp.rows : j.rows;
    if (p.rows !== want) throw new Error(`${k} wrote ${p.rows} rows, the writer's batches hold ${want}`);
    log(`  ${k}: ${(p.ns / 1e9).toFixed(2)} s, ${int((p.rows * 1e9) / p.ns)} rows/s`);
    passes.get(k)!.push(p);
  }
}
rmSync(j.dir, { recursive: true, force: true });

let exec: ExecutionsFigure | null = null;
if (o.postgres) {
  const rows = j.batches.flatMap((b) => b.executions).slice(0, o.execRows);
  log(`PostgreSQL insert methods: ${int(rows.length)} execution rows (18 columns), ${int(o.batchRows)} per transaction`);
  const db = await ThrowawayDb.create(o.adminUrl, "exec");
  try {
    exec = await executionsOnly(db.url, rows, o.batchRows);
  } finally {
    await db.drop();
  }
}
const medNs = (k: Kind) => median(passes.get(k)!.map((p) => p.ns));
const rowsPerS = (k: Kind) => (k === "follow" ? NaN : (passes.get(k)![0]!.rows * 1e9) / medNs(k));
const cmdsPerS = (k: Kind) => (passes.get(k)![0]!.commands * 1e9) / medNs(k);

// ---------------------------------------------------------------- 3: live

const liveBackends: Backend[] = o.livePostgres ? ["sqlite", "postgres"] : ["sqlite"];
const live = new Map<Backend, { on: LiveTrial[]; off: LiveTrial[] }>();
if (o.liveTrials > 0) {
  const s = buildStream({ ...o.pipe, commands: o.liveCommands });
  log(`live: ${int(o.pipe.warmup)} warm-up + ${int(o.liveCommands)} timed commands per trial, burst ${o.pipe.burst}, fsync on, ${o.liveTrials} trials with and without the writer per backend`);
  // Warm-up (JIT) of the runtime loop, untimed.
  await liveTrial(s, o, null);
  for (const b of liveBackends) {
    const r = { on: [] as LiveTrial[], off: [] as LiveTrial[] };
    live.set(b, r);
    const trials = b === "postgres" ? o.livePgTrials : o.liveTrials;
    for (let t = 0; t < trials; t++) {
      for (const withWriter of t % 2 === 0 ? [false, true] : [true, false]) {
        gc();
        const x = await liveTrial(s, o, withWriter ? b : null);
        (withWriter ? r.on : r.off).push(x);
        log(`  ${b} trial ${t + 1}, writer ${withWriter ? "on " : "off"}: ${int(x.opsPerS)} cmds/s` + (withWriter ? `, lag max ${int(Math.max(0, ...x.lagCmds))} cmds, caught up ${x.catchUpNs === null ? `NO (seq ${int(x.writerSeq)} of ${int(x.lastSeq)})` : `${ms(x.catchUpNs)} ms after the last delivery`}` : ""));
      }
    }
    const same = [...r.on, ...r.off].every((x) => x.tally.same(r.off[0]!.tally));
    if (!same) {
      log("FAILED: the live trials did not all deliver the same events");
      process.exitCode = 1;
    }
  }
}

// ---------------------------------------------------------------- 4: paced

// An open loop at a rate the writer can follow (SQLite): what the writer costs an order's latency
// there, and how far behind it stays — the steady state, where a flood only shows growth.
const paced: { on: LiveTrial[]; off: LiveTrial[] } = { on: [], off: [] };
if (o.pacedRate > 0 && o.pacedTrials > 0) {
  const s = buildStream({ ...o.pipe, commands: o.pacedCommands });
  log(`paced: ${int(o.pacedCommands)} commands at ${int(o.pacedRate)}/s, ${o.pacedTrials} trial(s) with and without the SQLite writer`);
  for (let t = 0; t < o.pacedTrials; t++) {
    for (const withWriter of t % 2 === 0 ? [false, true] : [true, false]) {
      gc();
      const x = await liveTrial(s, o, withWriter ? "sqlite" : null, o.pacedRate);
      (withWriter ? paced.on : paced.off).push(x);
      log(`  paced trial ${t + 1}, writer ${withWriter ? "on " : "off"}: p99 ${ms(x.latency!.p99)} ms` + (withWriter ? `, lag max ${ms(Math.max(0, ...x.lagNs))} ms` : ""));
    }
  }
}

// ---------------------------------------------------------------- report

const fx = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const names: Record<Kind, string> = {
  follow: "journal replay alone (JournalFollower, no rows)",
  replay: "writer, no database (replay + row building)",
  "writer-sqlite": "SQLite: writer catchUp (HistoryWriter + store)",
  "store-sqlite": "SQLite: store.write alone, same batches",
  "bare-sqlite": "SQLite: bare prepared INSERT, 1 tx per batch",
  "writer-postgres": "PostgreSQL: writer catchUp (HistoryWriter + store)",
  "store-postgres": "PostgreSQL: store.write alone, same batches",
  "bare-postgres": "PostgreSQL: bare COPY FROM STDIN, 1 tx per batch",
};
const bareOf = (k: Kind) => (k.endsWith("postgres") ? "bare-postgres" : k.endsWith("sqlite") ? "bare-sqlite" : null) as Kind | null;
console.error("");
console.error(`$ ${command}`);
console.error(`Bun ${Bun.version}, ${cpus().length} cores${pgVersion ? `, PostgreSQL ${pgVersion}` : ""}; batch ${int(o.batchRows)} rows; ${o.offlineTrials} offline trial(s) (median)`);
console.error("");
console.error(`Offline: ${int(j.commands)} commands → ${int(j.rows)} rows, ${fx(j.rows / j.commands)} rows per command` + (o.postgres ? `; the PostgreSQL passes write the first ${int(jp.commands)} commands (${int(jp.rows)} rows)` : ""));
console.error(table(["table", "rows", "per command"], TABLE_KEYS.map((k) => [k, int(j.byTable[k]), fx(j.byTable[k] / j.commands, 3)])));
console.error("");
console.error(
  table(
    ["pass", "commands", "rows", "seconds", "commands/s", "rows/s", "× bare insert", "trials (s)"],
    kinds.map((k) => {
      const bare = bareOf(k);
      const p0 = passes.get(k)![0]!;
      return [names[k], int(p0.commands), k === "follow" ? "–" : int(p0.rows), fx(medNs(k) / 1e9), int(cmdsPerS(k)), k === "follow" ? "–" : int(rowsPerS(k)), bare && bare !== k ? fx(rowsPerS(k) / rowsPerS(bare)) : "", passes.get(k)!.map((p) => fx(p.ns / 1e9)).join(" ")];
    }),
  ),
);
// Per command (µs), so that the PostgreSQL prefix and the whole journal compare: replay, row building, database.
const perCmd = (k: Kind) => medNs(k) / passes.get(k)![0]!.commands / 1e3;
const split = backends.map((b) => {
  const w = perCmd(`writer-${b}`);
  const f = perCmd("follow");
  const r = perCmd("replay");
  return [b === "sqlite" ? "SQLite" : "PostgreSQL", fx(w), fx(f), fx(r - f), fx(w - r), `${fx((100 * (w - r)) / w, 0)} %`, fx(perCmd(`store-${b}`)), fx(perCmd(`bare-${b}`))];
});
console.error("");
console.error(table(["writer's time per command, µs", "writer", "replay", "row building", "database (writer − no database)", "database share", "store.write alone", "bare insert"], split));

if (exec) {
  console.error("");
  console.error(`PostgreSQL, executions only: ${int(exec.rows)} of the writer's execution rows (18 columns), ${int(o.batchRows)} rows per transaction, each method into a fresh schema`);
  console.error(
    table(
      ["method", "rows/s", "× COPY"],
      [
        ["store.write: COPY into a staging table, INSERT … ON CONFLICT DO NOTHING", int(exec.store), fx(exec.store / exec.copy)],
        ["COPY … FROM STDIN (text), Bun.sql writable()", int(exec.copy), "1.00"],
        ["COPY into a temp table, then INSERT … SELECT ON CONFLICT DO NOTHING", int(exec.copyTemp), fx(exec.copyTemp / exec.copy)],
        [`sql(rows) VALUES helper, ${Math.floor(65_535 / 18)} rows per statement`, int(exec.values), fx(exec.values / exec.copy)],
      ],
    ),
  );
}

const liveRows: string[][] = [];
const liveJson: Record<string, unknown> = {};
for (const [b, r] of live) {
  const off = median(r.off.map((x) => x.opsPerS));
  const on = median(r.on.map((x) => x.opsPerS));
  const rate = on;
  const cmds = r.on.flatMap((x) => x.lagCmds).sort((a, c) => a - c);
  const q = (p: number) => (cmds.length ? cmds[Math.min(cmds.length - 1, Math.floor((p / 100) * cmds.length))]! : NaN);
  const byRate = summarize(Float64Array.from(cmds, (c) => (c * 1e9) / rate));
  const age = summarize(Float64Array.from(r.on.flatMap((x) => x.lagNs)));
  const catchUps = r.on.map((x) => x.catchUpNs);
  const caught = catchUps.every((c) => c !== null);
  // The writer's own rate over the timed commands: first submit → it reached the last seq.
  const writerRate = r.on.map((x) => (x.catchUpNs === null ? NaN : (o.liveCommands * 1e9) / (x.runNs + x.catchUpNs)));
  const name = b === "sqlite" ? "SQLite" : "PostgreSQL";
  liveRows.push(
    [`${name}: engine cmds/s, writer off (median)`, int(off), r.off.map((x) => kfmt(x.opsPerS)).join(" ")],
    [`${name}: engine cmds/s, writer on (median)`, int(on), r.on.map((x) => kfmt(x.opsPerS)).join(" ")],
    [`${name}: writer's cost to the engine (1 − on/off)`, `${fx(100 * (1 - on / off), 1)} %`, r.on.map((x, i) => `${fx(100 * (1 - x.opsPerS / (r.off[i]?.opsPerS ?? NaN)), 1)}%`).join(" ")],
    [`${name}: lag, commands p50 / p99 / max`, `${int(q(50))} / ${int(q(99))} / ${int(cmds[cmds.length - 1] ?? NaN)}`, `${cmds.length} samples`],
    [`${name}: lag at the measured rate, ms p50 / p99 / max`, `${ms(byRate.p50)} / ${ms(byRate.p99)} / ${ms(byRate.max)}`, ""],
    [`${name}: lag as age of oldest unwritten, ms p50 / p99 / max`, `${ms(age.p50)} / ${ms(age.p99)} / ${ms(age.max)}`, ""],
    [`${name}: writer's rate, timed commands / (first submit → written), cmds/s`, caught ? int(median(writerRate)) : "–", writerRate.map((x) => (Number.isFinite(x) ? kfmt(x) : "–")).join(" ")],
    [`${name}: last delivery → writer at last seq, ms`, caught ? ms(median(catchUps as number[])) : "not caught up", catchUps.map((c, i) => (c === null ? `>${o.catchUpSeconds}s(seq ${r.on[i]!.writerSeq}/${r.on[i]!.lastSeq})` : ms(c))).join(" ")],
  );
  liveJson[b] = {
    engine_ops_per_s_writer_off: Math.round(off),
    engine_ops_per_s_writer_on: Math.round(on),
    writer_cost: +(1 - on / off).toFixed(4),
    trials_off: r.off.map((x) => Math.round(x.opsPerS)),
    trials_on: r.on.map((x) => Math.round(x.opsPerS)),
    lag_cmds_p50: q(50),
    lag_cmds_p99: q(99),
    lag_cmds_max: cmds[cmds.length - 1] ?? null,
    lag_ms_at_rate_p50: +(byRate.p50 / 1e6).toFixed(2),
    lag_ms_at_rate_p99: +(byRate.p99 / 1e6).toFixed(2),
    lag_ms_at_rate_max: +(byRate.max / 1e6).toFixed(2),
    lag_age_ms_p50: +(age.p50 / 1e6).toFixed(2),
    lag_age_ms_p99: +(age.p99 / 1e6).toFixed(2),
    lag_age_ms_max: +(age.max / 1e6).toFixed(2),
    catch_up_ms: catchUps.map((c) => (c === null ? null : +(c / 1e6).toFixed(1))),
    writer_live_cmds_per_s: writerRate.map((x) => (Number.isFinite(x) ? Math.round(x) : null)),
  };
}
function kfmt(x: number): string {
  return `${(x / 1e3).toFixed(0)}k`;
}
if (liveRows.length > 0) {
  console.error("");
  console.error(`Live: embedded runtime, fsync on, ${int(o.liveCommands)} timed commands per trial (after ${int(o.pipe.warmup)} warm-up), burst ${o.pipe.burst}; lag sampled every ${o.sampleMs} ms while the timed commands run`);
  console.error(table(["live", "value", "trials"], liveRows));
}
let pacedJson: Record<string, unknown> | null = null;
if (paced.on.length > 0) {
  const lat = (xs: LiveTrial[], k: "p50" | "p99" | "p99_9" | "max") => median(xs.map((x) => x.latency![k]));
  const lagMs = paced.on.flatMap((x) => x.lagNs).sort((a, b) => a - b);
  const q = (p: number) => (lagMs.length ? lagMs[Math.min(lagMs.length - 1, Math.floor(p * lagMs.length))]! / 1e6 : NaN);
  const rows: string[][] = [];
  for (const k of ["p50", "p99", "p99_9", "max"] as const) {
    const off = lat(paced.off, k);
    const on = lat(paced.on, k);
    rows.push([`submit → delivery ${k.replace("_", ".")}, ms`, fx(off / 1e6), fx(on / 1e6), fx(on / off)]);
  }
  rows.push(["writer lag (age of oldest unwritten), ms p50 / p99 / max", "", `${fx(q(0.5), 0)} / ${fx(q(0.99), 0)} / ${fx(lagMs.length ? lagMs[lagMs.length - 1]! / 1e6 : NaN, 0)}`, ""]);
  rows.push(["engine busy, cores", fx(median(paced.off.map((x) => x.cores))), fx(median(paced.on.map((x) => x.cores))), ""]);
  console.error("");
  console.error(`Paced: embedded runtime, fsync on, ${int(o.pacedCommands)} commands offered at ${int(o.pacedRate)}/s (open loop, a ~1 ms tick), ${o.pacedTrials} trial(s) each; lag sampled every ${o.sampleMs} ms`);
  console.error(table(["paced", "writer off", "SQLite writer on", "on / off"], rows));
  pacedJson = {
    rate: o.pacedRate,
    commands: o.pacedCommands,
    latency_ms_off: { p50: lat(paced.off, "p50") / 1e6, p99: lat(paced.off, "p99") / 1e6, p99_9: lat(paced.off, "p99_9") / 1e6 },
    latency_ms_on: { p50: lat(paced.on, "p50") / 1e6, p99: lat(paced.on, "p99") / 1e6, p99_9: lat(paced.on, "p99_9") / 1e6 },
    lag_ms: { p50: q(0.5), p99: q(0.99), max: lagMs.length ? lagMs[lagMs.length - 1]! / 1e6 : null },
  };
}
const busy = hostBusy(ticks0, hostTicks());
console.error("");
console.error(`took ${fx((performance.now() - wall0) / 1000, 1)} s; machine busy ${fx(busy)} of ${cpus().length} cores on average (every tenant); load ${fx(loadavg()[0]!)}`);

if (o.json) {
  const pr = (k: Kind) => (passes.get(k)?.length ? Math.round(rowsPerS(k)) : null);
  console.log(
    JSON.stringify({
      commands: j.commands,
      rows: j.rows,
      rows_per_command: +(j.rows / j.commands).toFixed(3),
      rows_by_table: j.byTable,
      batch_rows: o.batchRows,
      pg_commands: o.postgres ? jp.commands : null,
      pg_rows: o.postgres ? jp.rows : null,
      follow_cmds_per_s: Math.round(cmdsPerS("follow")),
      replay_rows_per_s: pr("replay"),
      replay_cmds_per_s: Math.round(cmdsPerS("replay")),
      ...Object.fromEntries(
        backends.flatMap((b) => [
          [`writer_rows_per_s_${b}`, pr(`writer-${b}`)],
          [`writer_cmds_per_s_${b}`, Math.round(cmdsPerS(`writer-${b}`))],
          [`store_rows_per_s_${b}`, pr(`store-${b}`)],
          [`bare_rows_per_s_${b}`, pr(`bare-${b}`)],
          [`writer_vs_bare_${b}`, +(rowsPerS(`writer-${b}`) / rowsPerS(`bare-${b}`)).toFixed(3)],
        ]),
      ),
      pg_exec_rows: exec?.rows ?? null,
      pg_exec_rows_per_s_store: exec ? Math.round(exec.store) : null,
      pg_exec_rows_per_s_copy: exec ? Math.round(exec.copy) : null,
      pg_exec_rows_per_s_copy_temp: exec ? Math.round(exec.copyTemp) : null,
      pg_exec_rows_per_s_values: exec ? Math.round(exec.values) : null,
      live: liveJson,
      paced: pacedJson,
      offline_trials: o.offlineTrials,
      live_trials: o.liveTrials,
      live_pg_trials: o.livePgTrials,
      live_commands: o.liveCommands,
      postgres: pgVersion,
      seconds: +((performance.now() - wall0) / 1000).toFixed(1),
    }),
  );
}
