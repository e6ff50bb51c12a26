/**
 * bench/history.ts's command line. The stream and the runtime's settings are bench/pipeline.ts's
 * (its Options, with its defaults), so both benches build the same commands and drive the same runtime.
 */
import { type Options as PipelineOptions, parseArgs as pipelineArgs } from "./pipeline-options.ts";
import { parseFlags } from "./kit/args.ts";

export const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export interface Options {
  /** The pipeline's settings (stream, burst, data directory base); `commands` is the journal's load. */
  pipe: PipelineOptions;
  /** Rows per writer batch (the writer's default, 10,000). */
  batchRows: number;
  /** Offline passes of each kind (replay alone, SQLite, PostgreSQL, store alone, bare insert). */
  offlineTrials: number;
  /** Commands of the journal the PostgreSQL passes write (a prefix: at ~25–35k rows/s the whole journal would take minutes). */
  pgCommands: number;
  /** Execution rows for the PostgreSQL insert-method comparison (the store's write, COPY, sql(rows)). */
  execRows: number;
  /** Live trials with the writer and without, each; PostgreSQL's own count (its writer falls far behind, and each trial waits for it). */
  liveTrials: number;
  livePgTrials: number;
  /** Timed commands per live trial (after the pipeline's warm-up). */
  liveCommands: number;
  /** Longest wait for the writer to reach the last seq after a live run (s). */
  catchUpSeconds: number;
  /** Lag sampling interval (ms). */
  sampleMs: number;
  postgres: boolean;
  /** Live trials against PostgreSQL too. */
  livePostgres: boolean;
  adminUrl: string;
  /** Paced live trials: offered commands/s (0: none), timed commands, and trials with and without the writer each. */
  pacedRate: number;
  pacedCommands: number;
  pacedTrials: number;
  /** The writer thread's nice value in the live trials (the writer's default, 10; 0 leaves it at the engine's). */
  nice: number;
  json: boolean;
  long: boolean;
}

const USAGE =
  "usage: bun run bench/history.ts [--commands N] [--pg-commands N] [--exec-rows N] [--live-commands N] [--batch-rows R] [--offline-trials T] [--live-trials T] [--live-pg-trials T] [--catch-up-seconds S] [--sample-ms MS] [--burst B] [--warmup W] [--seed S] [--no-postgres] [--no-live-postgres] [--admin-url URL] [--nice N] [--paced-rate R] [--paced-commands N] [--paced-trials T] [--dir BASE] [--json] [--long]";

export function parseArgs(argv: string[]): Options {
  const long = argv.includes("--long");
  const pipe = pipelineArgs(long ? ["--long"] : []);
  pipe.commands = long ? 300_000 : 100_000;
  const o: Options = {
    pipe,
    batchRows: 10_000,
    offlineTrials: long ? 3 : 1,
    pgCommands: long ? 100_000 : 20_000,
    execRows: long ? 100_000 : 40_000,
    liveTrials: long ? 5 : 3,
    livePgTrials: long ? 3 : 1,
    liveCommands: long ? 300_000 : 50_000,
    catchUpSeconds: long ? 60 : 5,
    sampleMs: 10,
    postgres: true,
    livePostgres: true,
    adminUrl: ADMIN_URL,
    nice: 10,
    pacedRate: 20_000,
    pacedCommands: long ? 400_000 : 100_000,
    pacedTrials: long ? 3 : 1,
    json: false,
    long,
  };
  parseFlags(argv, USAGE, {
    "--commands": (v) => (pipe.commands = Math.floor(v.num())),
    "--pg-commands": (v) => (o.pgCommands = Math.max(1, Math.floor(v.num()))),
    "--exec-rows": (v) => (o.execRows = Math.max(1, Math.floor(v.num()))),
    "--live-pg-trials": (v) => (o.livePgTrials = Math.floor(v.num())),
    "--live-commands": (v) => (o.liveCommands = Math.floor(v.num())),
    "--batch-rows": (v) => (o.batchRows = Math.max(1, Math.floor(v.num()))),
    "--offline-trials": (v) => (o.offlineTrials = Math.max(1, Math.floor(v.num()))),
    "--live-trials": (v) => (o.liveTrials = Math.floor(v.num())),
    "--catch-up-seconds": (v) => (o.catchUpSeconds = v.num()),
    "--sample-ms": (v) => (o.sampleMs = Math.max(1, v.num())),
    "--burst": (v) => (pipe.burst = Math.max(1, Math.floor(v.num()))),
    "--warmup": (v) => (pipe.warmup = Math.floor(v.num())),
    "--seed": (v) => (pipe.seed = Math.floor(v.num())),
    "--no-postgres": () => (o.postgres = false),
    "--no-live-postgres": () => (o.livePostgres = false),
    "--admin-url": (v) => (o.adminUrl = v.str()),
    "--dir": (v) => (pipe.dir = v.str()),
    "--json": () => (o.json = true),
    "--paced-rate": (v) => (o.pacedRate = Math.max(0, Math.floor(v.num()))),
    "--paced-commands": (v) => (o.pacedCommands = Math.max(1, Math.floor(v.num()))),
    "--paced-trials": (v) => (o.pacedTrials = Math.max(0, Math.floor(v.num()))),
    "--nice": (v) => (o.nice = Math.min(19, Math.max(0, Math.floor(v.num())))),
    "--long": () => {},
  });
  if (pipe.commands < 1 || o.liveCommands < 1) throw new Error("--commands and --live-commands must be at least 1");
  if (!o.postgres) o.livePostgres = false;
  return o;
}
