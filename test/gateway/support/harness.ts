/**
 * Shared by the gateway's socket-level tests (fuzz-server, slow-subscriber, resync): a real
 * server from serve() on a free port with the embedded Runtime (workers 0) in a temp directory,
 * its log lines collected, the engine's depth in the shape of a client's LocalBook, a raw
 * WebSocket that records every frame with the session sequence checked, and a seeded PRNG.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BourseConfig, loadConfig } from "../../../app/config.ts";
import type { Runtime } from "../../../actors/runtime.ts";
import { Side } from "../../../engine/commands.ts";
import type { LocalBook } from "../../../client/local-book.ts";
import { decodeServer, isProtocolError, MessageType, type ServerMessage, signLogin, encodeClient, FrameWriter, type LoginResult } from "../../../protocol/index.ts";
import type { FixAcceptor } from "../../../gateway/fix/acceptor.ts";
import { serve } from "../../../app/serve.ts";
import type { Gateway } from "../../../gateway/ws/server.ts";
import type { LogRecord } from "../../../log/logger.ts";
import { memoryLogger, type MemoryLoggerOptions } from "../../../log/memory.ts";

export const DEMO_CONFIG = join(import.meta.dir, "../../../config/demo.json");
export const secret = (name: string) => `${name}-demo-secret-do-not-use-in-production`;

/** A fresh copy of config/demo.json, to change freely. */
export function demoConfig(change?: (c: BourseConfig) => void): BourseConfig {
  const c = structuredClone(loadConfig(DEMO_CONFIG));
  // The demo's users cost an argon2id hash each at every fresh start; a test that wants users names its own (with a cheap hash).
  delete c.users;
  change?.(c);
  return c;
}

export interface Harness {
  gateway: Gateway;
  fix: FixAcceptor;
  url: string;
  http: string;
  /** Every line the server logged, in order, as `LEVEL msg k=v …` (debug and up, no rate limit). */
  readonly logs: string[];
  /** The same, as records. */
  records: LogRecord[];
  runtime: Runtime;
  /** The data directory (the operator token is in it, as for a CLI on the host). */
  dataDir: string;
  close(): Promise<void>;
}

/**
 * serve() on 127.0.0.1, port 0, workers 0 (the engine on this thread, reachable for checks). Logs
 * are kept at debug with no rate limit unless `log` says otherwise (a test of production limits).
 */
export async function startServer(config: BourseConfig, log: MemoryLoggerOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "bourse-gwt-"));
  const mem = memoryLogger(log);
  const running = await serve({ dataDir: dir, config, workers: 0, port: 0, host: "127.0.0.1", log: mem.log });
  const gateway = running.gateway;
  return {
    gateway,
    fix: running.fix!,
    url: gateway.url,
    http: `http://127.0.0.1:${gateway.server.port}`,
    get logs() {
      return mem.lines();
    },
    records: mem.records,
    runtime: (gateway.orderEntry as unknown as { sequencer: Runtime }).sequencer,
    dataDir: dir,
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Log lines that mean something threw: everything at error level (a handler's exception, a
 * delivery listener's or the engine's failure, a FIX internal error). Closes of abusive sessions
 * are info and not counted.
 */
export function failureLines(logs: string[]): string[] {
  return logs.filter((l) => l.startsWith("ERROR "));
}

export interface DepthLevel {
  price: number;
  qty: number;
  orders: number;
}
export interface Depth {
  bids: DepthLevel[];
  asks: DepthLevel[];
}

/** The engine's whole L2 book for a symbol, best first. */
export function engineDepth(runtime: Runtime, symbol: number): Depth {
  const book = runtime.exchange.book;
  const conv = (side: number) => book.depth(symbol, side).map((l) => ({ price: l.price, qty: l.qty, orders: l.count }));
  return { bids: conv(Side.BUY), asks: conv(Side.SELL) };
}

/** A client's local book in the same shape. */
export function localDepth(book: LocalBook): Depth {
  const conv = (side: "bid" | "ask") => book.levels(side).map((l) => ({ price: l.priceTicks, qty: l.qtyLots, orders: l.orders }));
  return { bids: conv("bid"), asks: conv("ask") };
}

/** Mulberry32: a small seeded PRNG, so a failing run can be repeated with its seed. */
export function rng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every few ms until it holds or `ms` pass; returns whether it held. */
export async function waitFor(cond: () => boolean, ms: number, every = 5): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(every);
  }
  return true;
}

/**
 * A WebSocket without the SDK: sends any bytes (or text), records every frame it gets, decoded,
 * and checks the session sequence (HELLO is 1, +1 per session message) as frames arrive.
 */
export class RawSocket {
  readonly received: ServerMessage[] = [];
  /** Session messages only (0x40–0x7f), in order. */
  readonly session: ServerMessage[] = [];
  /** Frames the client could not decode, or session sequence breaks: must stay empty. */
  readonly problems: string[] = [];
  nonce: Uint8Array = new Uint8Array(32);
  closed: { code: number; reason: string } | null = null;
  readonly whenClosed: Promise<{ code: number; reason: string }>;
  private lastSeq = 0;
  private readonly w = new FrameWriter(256);
  onMessage: ((m: ServerMessage) => void) | null = null;

  /** Whether to keep every decoded frame in `received` (a long stream is cheaper without). */
  keep = true;

  private constructor(readonly ws: WebSocket) {
    this.whenClosed = new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        this.closed = { code: e.code, reason: e.reason };
        resolve(this.closed);
      });
    });
    ws.addEventListener("message", (e) => {
      if (typeof e.data === "string") {
        this.problems.push(`a text frame from the server: ${e.data.slice(0, 40)}`);
        return;
      }
      const m = decodeServer(new Uint8Array(e.data as ArrayBuffer));
      if (isProtocolError(m)) {
        this.problems.push(`undecodable server frame: ${m.toString()}`);
        return;
      }
      if (this.keep) this.received.push(m);
      if (m.type >= 0x40 && m.type < 0x80) {
        const seq = (m as { seq: number }).seq;
        if (seq !== this.lastSeq + 1) this.problems.push(`session seq ${seq} after ${this.lastSeq}`);
        this.lastSeq = seq;
        this.session.push(m);
        if (m.type === MessageType.HELLO) this.nonce = m.nonce;
      }
      this.onMessage?.(m);
    });
  }

  /** Opens and waits for HELLO. */
  static async open(url: string): Promise<RawSocket> {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const s = new RawSocket(ws);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no HELLO from ${url}`)), 5000);
      const check = () => {
        if (s.session.length > 0) {
          clearTimeout(t);
          resolve();
        }
      };
      ws.addEventListener("message", check);
      ws.addEventListener("close", () => {
        clearTimeout(t);
        reject(new Error("closed before HELLO"));
      });
    });
    return s;
  }

  get open(): boolean {
    return this.closed === null && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: Uint8Array | string): boolean {
    if (!this.open) return false;
    this.ws.send(frame);
    return true;
  }

  /** A valid LOGIN for this connection's nonce; resolves with the LOGIN_RESULT. */
  async login(name: string, requestId = 1): Promise<LoginResult> {
    const timestamp = Math.floor(Date.now() * 1000);
    const apiKeyId = `${name}-demo`;
    const n = encodeClient(this.w, { type: MessageType.LOGIN, requestId, timestamp, flags: 0, signature: signLogin(secret(name), this.nonce, timestamp, 0, apiKeyId), apiKeyId });
    const from = this.session.length;
    this.send(this.w.bytes.slice(0, n));
    const ok = await waitFor(() => this.session.slice(from).some((m) => m.type === MessageType.LOGIN_RESULT) || this.closed !== null, 5000);
    const r = this.session.slice(from).find((m) => m.type === MessageType.LOGIN_RESULT) as LoginResult | undefined;
    if (!ok || !r) throw new Error(`no LOGIN_RESULT for ${name}`);
    return r;
  }

  close(): void {
    if (this.closed === null) this.ws.close(1000, "bye");
  }
}
