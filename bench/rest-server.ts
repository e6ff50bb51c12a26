/**
 * The servers bench/rest.ts measures, each in a process of its own (spawned with IPC, so the load
 * generator and the server never share a thread):
 *
 *   --kind bourse   the exchange as `serve()` (app/serve.ts) starts it, on a fresh data directory under
 *                   `--dir`, fsync on, the demo config as bench/ws-server.ts lifts it (benchConfig:
 *                   no per-session or per-account order rate, open orders uncapped), and the REST
 *                   door's replay memory raised from 100,000 signatures (20,000 signed requests a
 *                   second over the 5 s window, which one load generator passes) to 2,000,000.
 *                   The REST door is where `npm start` serves it: /api/v1 on the WebSocket port.
 *   --kind raw      a raw Bun.serve handler, no Bourse code on the path: `Response.json` of the
 *                   JSON the parent gives it per path (`{kind:"bodies", bodies:{path: text}}`,
 *                   answered `bodies`), i.e. the same bodies the exchange answered; 404 elsewhere.
 *
 * Both also answer `{kind:"inproc", cases, n}` with `{kind:"inproc", us}`: each case's request
 * (path, bearer token or key to sign with) handed to the handler `n` times in this process, no
 * socket and no HTTP parsing — the exchange's REST app (`gateway.rest.fetch`, as the WebSocket
 * door calls it) or the raw handler — CPU µs per request, the answer's body read. Besides
 * bench/kit/child.ts's `cpu` and `stop`, the exchange answers `journal` with its last seq and the
 * fdatasyncs its journal has done (commands per sync: how well order requests share a group
 * commit). The data directory goes on stop.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../app/exchange.ts";
import { silentLogger } from "../log/logger.ts";
import { signRequest } from "../protocol/rest-signature.ts";
import { flagText } from "./kit/args.ts";
import { answerParent } from "./kit/child.ts";
import { benchConfig } from "./ws-server.ts";

/** Signatures the bench's exchange remembers against replays (the door's default is 100,000). */
export const BENCH_REMEMBERED_SIGNATURES = 2_000_000;

/** A request bench/rest.ts times in the server's own process. */
export interface InProcessCase {
  path: string;
  bearer?: string;
  key?: { id: string; secret: string };
}

type Handler = (req: Request) => Response | Promise<Response>;

/** CPU µs per request of each case through `handler`, after a warm-up; a signed case is signed afresh each time (a signature is accepted once). */
async function inProcess(handler: Handler, base: string, cases: InProcessCase[], n: number): Promise<number[]> {
  const out: number[] = [];
  for (const c of cases) {
    let i = 0;
    const one = async () => {
      const path = c.key ? `${c.path}${c.path.includes("?") ? "&" : "?"}n=${++i}` : c.path;
      const headers: Record<string, string> = c.bearer ? { authorization: `Bearer ${c.bearer}` } : c.key ? (signRequest({ keyId: c.key.id, secret: c.key.secret, method: "GET", path }) as unknown as Record<string, string>) : {};
      const res = await handler(new Request(`${base}${path}`, { headers }));
      await res.text();
      if (res.status !== 200) throw new Error(`in process: GET ${path} answered ${res.status}`);
    };
    for (let k = 0; k < Math.min(2_000, n); k++) await one();
    // This process's CPU time, not the wall clock (the host is shared); the least of three thirds,
    // so a collection or another tenant's burst in one of them does not count.
    let best = Infinity;
    for (let part = 0; part < 3; part++) {
      const m = Math.max(1, Math.floor(n / 3));
      const c0 = process.cpuUsage();
      for (let k = 0; k < m; k++) await one();
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / m);
    }
    out.push(best);
  }
  return out;
}

function answerInProcess(handler: Handler, base: string): void {
  process.on("message", (m: { kind: string; cases?: InProcessCase[]; n?: number }) => {
    if (m.kind !== "inproc") return;
    inProcess(handler, base, m.cases ?? [], m.n ?? 10_000).then(
      (us) => process.send!({ kind: "inproc", us }),
      (e: unknown) => process.send!({ kind: "error", message: String(e) }),
    );
  });
}

function startRaw(): { url: string; close(): Promise<void> } {
  // Parsed once: the handler serializes per request, as any JSON handler does.
  let bodies = new Map<string, unknown>();
  process.on("message", (m: { kind: string; bodies?: Record<string, string> }) => {
    if (m.kind !== "bodies") return;
    bodies = new Map(Object.entries(m.bodies ?? {}).map(([path, text]) => [path, JSON.parse(text)]));
    process.send!({ kind: "bodies", paths: bodies.size });
  });
  const fetch = (req: Request) => {
    const body = bodies.get(new URL(req.url).pathname);
    return body === undefined ? new Response("not found", { status: 404 }) : Response.json(body);
  };
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
  answerInProcess(fetch, `http://127.0.0.1:${server.port}`);
  return {
    url: `http://127.0.0.1:${server.port}`,
    async close() {
      server.stop(true);
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const kind = flagText(argv, "--kind", "bourse");
  let dataDir: string | null = null;
  let running: { url: string; close(): Promise<void> };
  if (kind === "bourse") {
    dataDir = mkdtempSync(join(flagText(argv, "--dir", tmpdir()), "bourse-rest-"));
    const config = benchConfig(false);
    config.gateway = { ...(config.gateway ?? {}), rest: { ...(config.gateway?.rest ?? {}), maxRememberedSignatures: BENCH_REMEMBERED_SIGNATURES, rateLimit: { perCallerPerSecond: 0, perAddressPerSecond: 0 } } };
    // What `npm start` runs (app/serve.ts is this plus its log lines), kept at hand for its journal's counts.
    const ex = await new BourseExchange({ dataDir, config, workers: 0, port: 0, fsync: true, log: silentLogger }).start();
    const gateway = ex.gateway!;
    answerInProcess((req) => gateway.rest.fetch(req, { address: "127.0.0.1" }), "http://127.0.0.1");
    process.on("message", (m: { kind: string }) => {
      if (m.kind === "journal") process.send!({ kind: "journal", seq: ex.engine.host.lastSeq, syncs: ex.engine.runtime?.syncs ?? 0 });
    });
    running = { url: gateway.url.replace(/^ws/, "http").replace(/\/ws$/, ""), close: () => ex.stop() };
  } else if (kind === "raw") running = startRaw();
  else throw new Error(`--kind must be bourse or raw, not ${kind}`);
  answerParent({ url: running.url, dataDir }, async () => {
    try {
      await running.close();
    } finally {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

if (import.meta.main) await main();
