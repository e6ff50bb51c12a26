/**
 * The servers bench/rest.ts measures, each in a process of its own (spawned with IPC, so the load
 * generator and the server never share a thread):
 *
 *   --kind bourse   the exchange: `serve()` (app/serve.ts) on a fresh data directory under
 *                   `--dir`, fsync on, the demo config as bench/ws-server.ts lifts it (benchConfig:
 *                   no per-session or per-account order rate, open orders uncapped), and the REST
 *                   door's replay memory raised from 100,000 signatures (20,000 signed requests a
 *                   second over the 5 s window, which one load generator passes) to 2,000,000.
 *                   The REST door is where `npm start` serves it: /api/v1 on the WebSocket port.
 *   --kind raw      a raw Bun.serve handler, no Bourse code on the path: `Response.json` of the
 *                   JSON the parent gives it per path (`{kind:"bodies", bodies:{path: text}}`,
 *                   answered `bodies`), i.e. the same bodies the exchange answered; 404 elsewhere.
 *
 * Besides bench/kit/child.ts's `cpu` and `stop`: nothing. The data directory goes on stop.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../app/serve.ts";
import { silentLogger } from "../log/logger.ts";
import { flagText } from "./kit/args.ts";
import { answerParent } from "./kit/child.ts";
import { benchConfig } from "./ws-server.ts";

/** Signatures the bench's exchange remembers against replays (the door's default is 100,000). */
export const BENCH_REMEMBERED_SIGNATURES = 2_000_000;

function startRaw(): { url: string; close(): Promise<void> } {
  // Parsed once: the handler serializes per request, as any JSON handler does.
  let bodies = new Map<string, unknown>();
  process.on("message", (m: { kind: string; bodies?: Record<string, string> }) => {
    if (m.kind !== "bodies") return;
    bodies = new Map(Object.entries(m.bodies ?? {}).map(([path, text]) => [path, JSON.parse(text)]));
    process.send!({ kind: "bodies", paths: bodies.size });
  });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const body = bodies.get(new URL(req.url).pathname);
      return body === undefined ? new Response("not found", { status: 404 }) : Response.json(body);
    },
  });
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
    config.gateway = { ...(config.gateway ?? {}), rest: { ...(config.gateway?.rest ?? {}), maxRememberedSignatures: BENCH_REMEMBERED_SIGNATURES } };
    const s = await serve({ dataDir, config, workers: 0, port: 0, fsync: true, log: silentLogger });
    running = { url: s.gateway.url.replace(/^ws/, "http").replace(/\/ws$/, ""), close: s.close };
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
