/**
 * The servers bench/ws.ts measures, each in a process of its own (spawned with IPC by ws.ts, so
 * the server has one event loop to itself and the harness's work never runs on it):
 *
 *   --kind gateway   the Bourse gateway: `serve()` (app/serve.ts) on a fresh data directory
 *                    under the OS temp dir, fsync on, or off with `--fsync 0`. Removed on stop.
 *   --kind baseline  raw Bun.serve, no Bourse code on the path: `/echo` sends every binary frame
 *                    straight back; `/ws` answers a SUBSCRIBE by subscribing the socket to the two
 *                    topics and a NEW_ORDER frame by `server.publish`-ing one L2_UPDATE (one level)
 *                    and one TRADES (one trade) frame, encoded with the protocol's own builders —
 *                    the same bytes per command as the gateway publishes for an IOC that trades
 *                    with one resting order — then sending ACK and EXECUTION frames back.
 *
 * Messages from the parent: {kind:"cpu"} → {kind:"cpu", user, system} (µs, the whole process,
 * every thread); {kind:"stop"} → closes, removes the data directory, exits.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerWebSocket } from "bun";
import { type BourseConfig, loadConfig } from "../app/config.ts";
import { Side } from "../engine/commands.ts";
import {
  addL2Ask,
  addL2Bid,
  addL2Change,
  addTrade,
  beginL2Snapshot,
  beginL2Update,
  beginTrades,
  Channel,
  encodeAck,
  encodeExecution,
  encodeSubscribed,
  endL2Snapshot,
  endL2Update,
  endTrades,
  FrameWriter,
  Liquidity,
  MessageType,
} from "../protocol/index.ts";
import { serve } from "../app/serve.ts";
import { topic } from "../gateway/ws/market-data-fanout.ts";
import { silentLogger } from "../log/logger.ts";
import { flagText } from "./kit/args.ts";
import { answerParent } from "./kit/child.ts";

export interface ServerArgs {
  kind: "gateway" | "baseline";
  fsync: boolean;
  workers: number;
  /** Keep the demo config's rate and open-order limits (default: lifted, see benchConfig). */
  keepLimits: boolean;
  /** Parent directory of the data directory. */
  dir: string;
}

/**
 * config/demo.json with the limits that would measure themselves instead of the server lifted
 * (unless keepLimits): the gateway's per-session token bucket (2,000/s: 16,000/s over 8 sessions),
 * the tiers' engine rate limit (20,000/s per account) and open-order cap (5,000 per account, which
 * an overloaded step passes when its cancels arrive before the orders they cancel were acked).
 */
export function benchConfig(keepLimits: boolean): BourseConfig {
  const config = structuredClone(loadConfig(join(import.meta.dir, "../config/demo.json")));
  if (!keepLimits) {
    config.gateway = { ...(config.gateway ?? {}), maxOrdersPerSecond: 1e9 };
    for (const t of config.exchange.tiers ?? []) {
      t.rateCount = 0;
      t.maxOpenOrders = 1_000_000;
    }
  }
  return config;
}

interface BaseData {
  echo: boolean;
  seq: number;
}

function startBaseline() {
  const w = new FrameWriter(512);
  const l2Topic = topic(1, Channel.L2);
  const tradesTopic = topic(1, Channel.TRADES);
  let l2Seq = 0;
  let tradesSeq = 0;
  let orderId = 1_000_000;
  let tradeId = 0;
  const ack = {
    type: MessageType.ACK,
    seq: 0,
    requestId: 0,
    symbol: 1,
    orderId: 0,
    time: 0,
    side: 0,
    orderType: 0,
    tif: 1,
    stp: 0,
    flags: 0,
    price: 120_001,
    stopPrice: 0,
    qty: 1,
    leaves: 1,
    expireTime: 0,
    clientOrderId: "",
  } as Parameters<typeof encodeAck>[1];
  const exec = {
    type: MessageType.EXECUTION,
    seq: 0,
    symbol: 1,
    orderId: 0,
    tradeId: 0,
    time: 0,
    side: 0,
    liquidity: Liquidity.TAKER,
    state: 3,
    price: 120_001,
    qty: 1,
    leaves: 0,
    cumQty: 1,
    clientOrderId: "",
  } as Parameters<typeof encodeExecution>[1];
  const server = Bun.serve<BaseData>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      const path = new URL(req.url).pathname;
      if (srv.upgrade(req, { data: { echo: path === "/echo", seq: 0 } })) return undefined;
      return new Response("expected a WebSocket upgrade", { status: 426 });
    },
    websocket: {
      // Like the gateway (a 20 ms sweep cuts a session off past 1 MiB of unread output, Bun's own
      // close at 4 MiB behind it): past 1 MiB, cut off.
      backpressureLimit: 1 << 20,
      closeOnBackpressureLimit: true,
      maxPayloadLength: 64 * 1024,
      perMessageDeflate: false,
      message(ws: ServerWebSocket<BaseData>, data: string | Buffer) {
        if (ws.data.echo) {
          ws.sendBinary(data as Buffer);
          return;
        }
        const bytes = data as Buffer;
        const type = bytes[1];
        const requestId = bytes.readUInt32LE(2);
        const time = Math.floor(Date.now() * 1000);
        if (type === MessageType.SUBSCRIBE) {
          ws.subscribe(l2Topic);
          ws.subscribe(tradesTopic);
          ws.sendBinary(w.bytes.subarray(0, encodeSubscribed(w, { type: MessageType.SUBSCRIBED, seq: ++ws.data.seq, requestId, symbol: 1, channels: Channel.L2 | Channel.TRADES })));
          beginL2Snapshot(w, 1, l2Seq, time);
          addL2Bid(w, 119_999, 10_000, 1);
          addL2Ask(w, 120_001, 10_000, 1);
          ws.sendBinary(w.bytes.subarray(0, endL2Snapshot(w)));
          return;
        }
        if (type === MessageType.NEW_ORDER) {
          const side = bytes[10]!;
          const price = side === Side.BUY ? 120_001 : 119_999;
          beginL2Update(w, 1, ++l2Seq, time);
          addL2Change(w, side === Side.BUY ? Side.SELL : Side.BUY, price, 10_000 - (l2Seq % 5_000), 1);
          server.publish(l2Topic, w.bytes.subarray(0, endL2Update(w)));
          beginTrades(w, 1, ++tradesSeq, time);
          addTrade(w, side, ++tradeId, price, 1);
          server.publish(tradesTopic, w.bytes.subarray(0, endTrades(w)));
          ack.seq = ++ws.data.seq;
          ack.requestId = requestId;
          ack.orderId = ++orderId;
          ack.time = time;
          ack.side = side;
          ack.price = price;
          ws.sendBinary(w.bytes.subarray(0, encodeAck(w, ack)));
          exec.seq = ++ws.data.seq;
          exec.orderId = orderId;
          exec.tradeId = tradeId;
          exec.time = time;
          exec.side = side;
          exec.price = price;
          ws.sendBinary(w.bytes.subarray(0, encodeExecution(w, exec)));
        }
      },
    },
  });
  return {
    url: `ws://127.0.0.1:${server.port}`,
    async close() {
      server.stop(true);
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: string) => flagText(argv, `--${name}`, dflt);
  const a: ServerArgs = {
    kind: arg("kind", "gateway") === "baseline" ? "baseline" : "gateway",
    fsync: arg("fsync", "1") !== "0",
    workers: Number(arg("workers", "0")),
    keepLimits: arg("keep-limits", "0") === "1",
    dir: arg("dir", tmpdir()),
  };
  let dataDir: string | null = null;
  let running: { url: string; close(): Promise<void> };
  if (a.kind === "gateway") {
    dataDir = mkdtempSync(join(a.dir, "bourse-ws-"));
    const config = benchConfig(a.keepLimits);
    const s = await serve({ dataDir, config, workers: a.workers, port: 0, fsync: a.fsync, log: silentLogger });
    // gateway.url ends in /ws; the harness adds its own path.
    running = { url: s.gateway.url.replace(/\/ws$/, ""), close: s.close };
  } else running = startBaseline();
  answerParent({ url: running.url, dataDir }, async () => {
    try {
      await running.close();
    } finally {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

if (import.meta.main) await main();
