/**
 * bench/pipeline.ts's command line (Options) and the runtime logger its trials share.
 */
import { tmpdir } from "node:os";
import { type Pace } from "./pipeline-drive.ts";
import { createLogger, lineSink } from "../log/logger.ts";
import { log, parseFlags } from "./kit/args.ts";

export interface Options {
  commands: number;
  warmup: number;
  burst: number;
  trials: number;
  seed: number;
  rate: number;
  pacedSeconds: number;
  latencyRounds: number;
  pace: Pace;
  fsyncOff: boolean;
  ring: boolean;
  keepRateLimits: boolean;
  hashEvery: number;
  snapshotEvery: number;
  dir: string;
  json: boolean;
  long: boolean;
}

export function parseArgs(argv: string[]): Options {
  const long = argv.includes("--long");
  const o: Options = {
    commands: long ? 500_000 : 200_000,
    warmup: 20_000,
    burst: 256,
    trials: long ? 9 : 5,
    seed: 1,
    rate: 0,
    pacedSeconds: long ? 4 : 1,
    latencyRounds: long ? 4 : 2,
    pace: "tick",
    fsyncOff: true,
    ring: true,
    keepRateLimits: false,
    hashEvery: 0,
    snapshotEvery: 0,
    dir: tmpdir(),
    json: false,
    long,
  };
  parseFlags(argv, "usage: bun run bench/pipeline.ts [--commands N] [--warmup W] [--burst B] [--trials T] [--seed S] [--rate OPS_PER_S] [--paced-seconds S] [--latency-rounds R] [--pace tick|spin] [--no-fsync-off] [--no-ring] [--keep-rate-limits] [--hash-every N] [--snapshot-every N] [--dir BASE] [--json] [--long]", {
    "--commands": (v) => (o.commands = Math.floor(v.num())),
    "--warmup": (v) => (o.warmup = Math.floor(v.num())),
    "--burst": (v) => (o.burst = Math.max(1, Math.floor(v.num()))),
    "--trials": (v) => (o.trials = Math.max(1, Math.floor(v.num()))),
    "--seed": (v) => (o.seed = Math.floor(v.num())),
    "--rate": (v) => (o.rate = v.num()),
    "--paced-seconds": (v) => (o.pacedSeconds = v.num()),
    "--latency-rounds": (v) => (o.latencyRounds = Math.max(1, Math.floor(v.num()))),
    "--pace": (v) => {
      const p = v.raw();
      if (p !== "spin" && p !== "tick") throw new Error(`--pace is spin or tick, got ${p}`);
      o.pace = p;
    },
    "--no-fsync-off": () => (o.fsyncOff = false),
    "--no-ring": () => (o.ring = false),
    "--keep-rate-limits": () => (o.keepRateLimits = true),
    "--hash-every": (v) => (o.hashEvery = Math.floor(v.num())),
    "--snapshot-every": (v) => (o.snapshotEvery = Math.floor(v.num())),
    "--dir": (v) => (o.dir = v.str()),
    "--json": () => (o.json = true),
    "--long": () => {},
  });
  if (o.commands < 1) throw new Error("--commands must be at least 1");
  return o;
}

export const gc = () => Bun.gc(true);
/** The runtime's own warnings and errors (its recovery figures would only interrupt the tables). */
export const runtimeLog = createLogger({ level: "warn", sink: lineSink("pretty", (line) => log(`  runtime: ${line.trimEnd()}`)) });
