/**
 * bench/ws.ts's command line (Options) and its server children (bench/ws-server.ts).
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFlags } from "./kit/args.ts";
import { Child } from "./kit/child.ts";

export interface Options {
  conns: number;
  subscribers: number;
  stepSeconds: number;
  halfSeconds: number;
  probeSeconds: number;
  fanSeconds: number;
  fanStart: number;
  sloMs: number;
  fanSloMs: number;
  lagMs: number;
  window: number;
  /** Bisection steps after the doubling ladder first fails (order entry; fan-out). */
  bisect: number;
  fanBisect: number;
  /** Highest open-loop rate tried (requests/s). */
  maxRate: number;
  workers: number;
  fsyncOff: boolean;
  fanout: boolean;
  keepLimits: boolean;
  clientIds: boolean;
  dir: string;
  /** Run the server children under Bun's CPU profiler, a markdown profile per server in this directory. */
  profile: string | null;
  json: boolean;
  long: boolean;
}

export function parseArgs(argv: string[]): Options {
  const long = argv.includes("--long");
  const o: Options = {
    conns: 8,
    subscribers: 1000,
    stepSeconds: long ? 3 : 1,
    halfSeconds: long ? 10 : 2,
    probeSeconds: long ? 3 : 1.5,
    fanSeconds: long ? 3 : 1,
    fanStart: 500,
    sloMs: 100,
    fanSloMs: 100,
    lagMs: 100,
    window: 64,
    bisect: long ? 3 : 2,
    fanBisect: long ? 3 : 2,
    maxRate: 8e6,
    workers: 0,
    fsyncOff: true,
    fanout: true,
    keepLimits: false,
    clientIds: false,
    dir: tmpdir(),
    profile: null,
    json: false,
    long,
  };
  parseFlags(argv, "usage: bun run bench/ws.ts [--conns N] [--subscribers S] [--step-seconds D] [--half-seconds H] [--probe-seconds P] [--fan-seconds F] [--fan-start CMDS_PER_S] [--slo-ms MS] [--fan-slo-ms MS] [--lag-ms MS] [--window W] [--bisect K] [--fan-bisect K] [--max-rate R] [--workers 0|1] [--no-fsync-off] [--no-fanout] [--keep-limits] [--client-order-ids] [--dir BASE] [--profile DIR] [--json] [--long]", {
    "--conns": (v) => (o.conns = Math.max(1, Math.floor(v.num()))),
    "--subscribers": (v) => (o.subscribers = Math.max(1, Math.floor(v.num()))),
    "--step-seconds": (v) => (o.stepSeconds = v.num()),
    "--half-seconds": (v) => (o.halfSeconds = v.num()),
    "--probe-seconds": (v) => (o.probeSeconds = v.num()),
    "--fan-seconds": (v) => (o.fanSeconds = v.num()),
    "--fan-start": (v) => (o.fanStart = Math.max(1, v.num())),
    "--slo-ms": (v) => (o.sloMs = v.num()),
    "--fan-slo-ms": (v) => (o.fanSloMs = v.num()),
    "--lag-ms": (v) => (o.lagMs = v.num()),
    "--window": (v) => (o.window = Math.max(1, Math.floor(v.num()))),
    "--bisect": (v) => (o.bisect = Math.floor(v.num())),
    "--fan-bisect": (v) => (o.fanBisect = Math.floor(v.num())),
    "--max-rate": (v) => (o.maxRate = v.num()),
    "--workers": (v) => (o.workers = v.num() === 1 ? 1 : 0),
    "--no-fsync-off": () => (o.fsyncOff = false),
    "--no-fanout": () => (o.fanout = false),
    "--keep-limits": () => (o.keepLimits = true),
    "--client-order-ids": () => (o.clientIds = true),
    "--dir": (v) => (o.dir = v.str()),
    "--profile": (v) => (o.profile = v.str()),
    "--json": () => (o.json = true),
    "--long": () => {},
  });
  return o;
}

export const ACCOUNTS = ["alice", "bob", "carol", "dave"];
export const keyOf = (name: string) => ({ id: `${name}-demo`, secret: `${name}-demo-secret-do-not-use-in-production` });

// ---------------------------------------------------------------- child processes

export class ServerProc extends Child {
  url = "";

  static async start(kind: "gateway" | "baseline", o: Options, fsync = true): Promise<ServerProc> {
    // Bun writes the profile when the child exits, which it does on "stop".
    const prof = o.profile ? ["--cpu-prof-md", `--cpu-prof-dir=${o.profile}`, `--cpu-prof-name=${kind}-${fsync ? "fsync" : "nofsync"}-${Date.now()}.md`] : [];
    const s = new ServerProc([...prof, join(import.meta.dir, "ws-server.ts"), "--kind", kind, "--fsync", fsync ? "1" : "0", "--workers", String(o.workers), "--keep-limits", o.keepLimits ? "1" : "0", "--dir", o.dir]);
    const ready = await s.next("ready", 60_000);
    s.url = String(ready.url);
    return s;
  }
}
