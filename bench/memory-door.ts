/**
 * `bench:memory --door ws`: the same question as bench/memory.ts asked of the whole server — the
 * WebSocket door, the embedded runtime (journal with fsync, the snapshotter replica that keeps a
 * second copy of the exchange) in a temporary data directory — driven in-process by the SDK with
 * IOC orders that carry client order ids (none trades). Every `--every` orders it prints RSS and
 * heap after a full GC of the main thread (the replica collects on its own: actors/snapshot/replica-gc.ts),
 * the process's peak RSS so far, and the heap's object count: a count that stops growing means no structure
 * keeps an object per order (the gateway's read model keeps the last 100,000 done orders, so the
 * count flattens there). `--window-s` shortens the engine's idempotency window so it fills within
 * the run. The client runs in the same process, so its memory is in the figures too.
 *
 *   npm run bench:memory -- --door ws --orders 320000 --window-s 5
 */
import { silentLogger } from "../log/logger.ts";
import { heapStats } from "bun:jsc";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../app/config.ts";
import { BourseClient } from "../client/client.ts";
import { serve } from "../app/serve.ts";

export async function runDoorBench(o: { orders: number; every: number; windowS: number; idLength: number; json: boolean }): Promise<void> {
  const config = loadConfig(join(import.meta.dir, "../config/demo.json"));
  // Lift the per-session and per-account rate limits so the run measures memory, not throttling.
  config.gateway = { ...config.gateway, maxOrdersPerSecond: 1e9 };
  for (const t of config.exchange.tiers) {
    delete t.rateCount;
    delete t.rateWindowUs;
  }
  config.exchange.idempotencyWindowUs = o.windowS * 1e6;
  const dir = mkdtempSync(join(tmpdir(), "bourse-memory-"));
  const server = await serve({ dataDir: dir, config, workers: 0, port: 0, fixPort: 0, log: silentLogger });
  const rows: { orders: number; rssMb: number; peakRssMb: number; heapMb: number; objects: number }[] = [];
  try {
    const c = await BourseClient.connect(server.gateway.url);
    await c.login("alice-demo", "alice-demo-secret-do-not-use-in-production");
    // Reports nobody reads would pile up in the SDK: drain them.
    void (async () => {
      for await (const _ of c.reports());
    })();
    if (!o.json) {
      console.log(`WebSocket door, ${o.orders.toLocaleString()} IOC orders with ${o.idLength}-char client order ids, window ${o.windowS.toLocaleString()} s`);
      console.log("   orders   RSS MB  peak MB  heap MB   objects");
    }
    const BATCH = 500;
    for (let i = 0; i < o.orders; i += BATCH) {
      const batch: Promise<unknown>[] = [];
      for (let k = 0; k < BATCH; k++) {
        const n = (i + k).toString(36);
        // Far below the book's reference (~30,000): an IOC that rests nowhere and trades nothing.
        batch.push(c.placeOrder({ symbol: "BTC-USD", side: "buy", price: "29900", qty: "0.001", tif: "IOC", clientOrderId: "w".padEnd(o.idLength - n.length, "-") + n }));
      }
      await Promise.all(batch);
      const done = i + BATCH;
      if (done % o.every !== 0 && done < o.orders) continue;
      Bun.gc(true);
      const h = heapStats();
      // Peak: the process's high-water RSS so far (kernel maxrss, KB), what a host must have for it.
      const row = { orders: done, rssMb: process.memoryUsage().rss / 1e6, peakRssMb: (process.resourceUsage().maxRSS * 1024) / 1e6, heapMb: h.heapSize / 1e6, objects: h.objectCount };
      rows.push(row);
      if (!o.json) console.log(`${String(done).padStart(9)} ${row.rssMb.toFixed(0).padStart(8)} ${row.peakRssMb.toFixed(0).padStart(8)} ${row.heapMb.toFixed(1).padStart(8)} ${String(row.objects).padStart(9)}`);
    }
    c.close();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (o.json) console.log(JSON.stringify({ door: "ws", ...o, rows }));
}
