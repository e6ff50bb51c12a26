/**
 * The one WebSocket wire client of the bench and the tests: RFC 6455 client framing (masked) and
 * server frames parsed in place, straight on Bun.connect, and a clock that agrees across processes.
 * Two ways to use it: `WireConn` (below) drives load; `upgradeRequest` + `clientFrame` +
 * `WireParser` let a test hold the raw socket itself, e.g. a client that stops reading. Both
 * write frame heads with `writeClientHead` and read them with `readServerHead`.
 *
 * It lives in bench/kit because it is a tool of the harness, not part of the product; tests import
 * it from here (bench never imports test).
 *
 * Why not the WebSocket class: the same harness has to drive the gateway and the raw Bun.serve
 * baselines at their limits, including 1,000 subscribers in one process. Here one `data` callback
 * parses every frame the kernel handed over in one read, with no event object or ArrayBuffer per
 * message, and a tick's frames for one connection go out in one write. Frames are handed to
 * `onFrame(conn, bytes, offset, length)` as a view into the read buffer, valid during the call.
 */
import type { Socket } from "bun";
import { InBuffer, OutBatch } from "./socket-buffers.ts";

// ---------------------------------------------------------------- clock

/**
 * Nanoseconds since a base instant shared by every process of one run: the parent picks `baseMs`
 * (an epoch time in ms) and hands it to its children. `performance.timeOrigin + performance.now()`
 * tracks CLOCK_REALTIME to ~1 µs in every Bun process (checked when this was written: two processes,
 * 0.3 µs apart); Bun.nanoseconds() is cheaper per call, so the offset between the two is taken once.
 * Values stay below 2^53 for ~100 days, exact in a double.
 */
export function makeClock(baseMs: number): () => number {
  let best = Infinity;
  let shift = 0;
  for (let i = 0; i < 50; i++) {
    const a = Bun.nanoseconds();
    const p = performance.now();
    const b = Bun.nanoseconds();
    if (b - a < best) {
      best = b - a;
      shift = (performance.timeOrigin - baseMs) * 1e6 + p * 1e6 - (a + b) / 2;
    }
  }
  return () => Bun.nanoseconds() + shift;
}

// ---------------------------------------------------------------- frames

const CRLF2 = [13, 10, 13, 10];

/**
 * Writes a client frame's head into `b` at `at`: FIN, `opcode` (2 binary, 1 text, 8 close, 10
 * pong), the masked length, the mask. Returns where the payload starts.
 */
export function writeClientHead(b: Uint8Array, at: number, opcode: number, length: number, mask: Uint8Array): number {
  b[at++] = 0x80 | opcode;
  if (length < 126) b[at++] = 0x80 | length;
  else if (length < 65536) {
    b[at++] = 0x80 | 126;
    b[at++] = length >>> 8;
    b[at++] = length & 0xff;
  } else {
    b[at++] = 0x80 | 127;
    new DataView(b.buffer, b.byteOffset + at, 8).setBigUint64(0, BigInt(length));
    at += 8;
  }
  b[at++] = mask[0]!;
  b[at++] = mask[1]!;
  b[at++] = mask[2]!;
  b[at++] = mask[3]!;
  return at;
}

/** Bytes of a client frame's head for a payload of `length`. */
export const clientHeadLength = (length: number): number => (length < 126 ? 6 : length < 65536 ? 8 : 14);

/**
 * Reads server frame heads. `read(buf, at, len)` looks at the frame starting at `buf[at]` (the
 * buffer holding `len` bytes): true with `opcode`, `head` (bytes before the payload) and the
 * payload's `length` set when the whole frame is there, false when it is not yet. One instance per
 * reader, reused (no allocation per frame).
 */
export class FrameHead {
  opcode = 0;
  head = 0;
  length = 0;

  read(buf: Uint8Array, at: number, len: number): boolean {
    if (at + 2 > len) return false;
    const b1 = buf[at + 1]!;
    let n = b1 & 0x7f;
    let head = 2;
    if (n === 126) {
      if (at + 4 > len) return false;
      n = (buf[at + 2]! << 8) | buf[at + 3]!;
      head = 4;
    } else if (n === 127) {
      if (at + 10 > len) return false;
      const hi = ((buf[at + 2]! << 24) | (buf[at + 3]! << 16) | (buf[at + 4]! << 8) | buf[at + 5]!) >>> 0;
      const lo = ((buf[at + 6]! << 24) | (buf[at + 7]! << 16) | (buf[at + 8]! << 8) | buf[at + 9]!) >>> 0;
      n = hi * 0x100000000 + lo;
      head = 10;
    }
    if (b1 & 0x80) head += 4; // servers do not mask; tolerated anyway (payload read as is)
    if (at + head + n > len) return false;
    this.opcode = buf[at]! & 0x0f;
    this.head = head;
    this.length = n;
    return true;
  }
}

/** The upgrade request a client sends first. */
export function upgradeRequest(host: string, port: number, path = "/ws", key = "dGhlIHNhbXBsZSBub25jZQ=="): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

/** One whole client → server frame (a fresh mask), for a test that writes to its own socket. */
export function clientFrame(payload: Uint8Array, opcode = 2): Uint8Array {
  const n = payload.length;
  const out = new Uint8Array(clientHeadLength(n) + n);
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const at = writeClientHead(out, 0, opcode, n, mask);
  for (let i = 0; i < n; i++) out[at + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

export interface WireFrame {
  opcode: number;
  payload: Uint8Array;
}

/**
 * Reassembles the server's byte stream for a test: the HTTP response head, then every frame kept
 * (a copy each) in `frames`. Not for load: it copies what it buffers; `WireConn` does not.
 */
export class WireParser {
  head = "";
  readonly frames: WireFrame[] = [];
  bytes = 0;
  private buf = new Uint8Array(0);
  private upgraded = false;
  private readonly frame = new FrameHead();

  push(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    const b = new Uint8Array(this.buf.length + chunk.length);
    b.set(this.buf);
    b.set(chunk, this.buf.length);
    this.buf = b;
    if (!this.upgraded) {
      const end = indexOf(this.buf, Math.min(this.buf.length, 8192), CRLF2);
      if (end < 0) return;
      this.head = String.fromCharCode(...this.buf.subarray(0, end));
      this.buf = this.buf.slice(end + 4);
      this.upgraded = true;
    }
    let at = 0;
    const f = this.frame;
    while (f.read(this.buf, at, this.buf.length)) {
      this.frames.push({ opcode: f.opcode, payload: this.buf.slice(at + f.head, at + f.head + f.length) });
      at += f.head + f.length;
    }
    this.buf = this.buf.slice(at);
  }

  /** Bytes received that do not yet make a whole frame. */
  get pending(): number {
    return this.buf.length;
  }
}

// ---------------------------------------------------------------- client

export type FrameHandler = (conn: WireConn, bytes: Uint8Array, offset: number, length: number) => void;

export interface WireTarget {
  hostname: string;
  port: number;
  path: string;
}

export function parseWsUrl(url: string): WireTarget {
  const u = new URL(url);
  return { hostname: u.hostname, port: Number(u.port), path: u.pathname || "/" };
}


/**
 * One client connection. `send` masks a frame into the connection's batch; `flush` writes the
 * batch with one socket write (a partial write keeps the rest, in order, for the drain callback).
 */
export class WireConn {
  socket: Socket<WireConn> | null = null;
  upgraded = false;
  closed = false;
  /** Frames parsed (all opcodes). */
  frames = 0;
  /** Bytes not yet parsed (a frame split across reads). */
  private readonly input = new InBuffer(0);
  private readonly out = new OutBatch(16 * 1024);
  private readonly mask = crypto.getRandomValues(new Uint8Array(4));
  private readonly frame = new FrameHead();
  private upgradeResolve: (() => void) | null = null;
  private upgradeReject: ((e: Error) => void) | null = null;
  /** Free for the owner (a connection index, say). */
  tag = 0;
  /** When set, called once per socket read; `readAt` holds the value while that read's frames are handed over. */
  stamp: (() => number) | null = null;
  readAt = 0;
  /** When set, called after each socket read's frames were handed over (to flush what they queued). */
  afterRead: ((conn: WireConn) => void) | null = null;

  constructor(
    readonly target: WireTarget,
    public onFrame: FrameHandler,
    public onClose: ((conn: WireConn) => void) | null = null,
  ) {}

  /** Queues one binary frame (masked) holding `payload[0, length)`. */
  send(payload: Uint8Array, length: number): void {
    this.queue(2, payload, 0, length);
  }

  private queue(opcode: number, payload: Uint8Array, from: number, length: number): void {
    const b = this.out.reserve(clientHeadLength(length) + length);
    const m = this.mask;
    const at = writeClientHead(b, this.out.length, opcode, length, m);
    for (let i = 0; i < length; i++) b[at + i] = payload[from + i]! ^ m[i & 3]!;
    this.out.length = at + length;
  }

  get queued(): number {
    return this.out.length;
  }

  /** Writes what `send` queued. */
  flush(): void {
    if (this.closed || !this.socket) return;
    this.out.flush(this.socket);
  }

  /** Bytes the kernel did not take yet (the harness's own backlog on this connection). */
  get backlog(): number {
    return this.out.backlog;
  }

  /** Closes from this side; onClose is not called for it. */
  close(): void {
    this.closeNotified = true;
    if (this.closed) return;
    this.closed = true;
    this.socket?.end();
  }

  private closeNotified = false;

  /** The peer closed (close frame, FIN, error): onClose once. */
  private peerClosed(): void {
    this.closed = true;
    if (this.closeNotified) return;
    this.closeNotified = true;
    this.onClose?.(this);
  }

  // ---- socket callbacks

  /** @internal */
  drained(): void {
    if (this.socket) this.out.drained(this.socket);
  }

  /** @internal */
  opened(socket: Socket<WireConn>): void {
    this.socket = socket;
    socket.setNoDelay(true);
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    const t = this.target;
    socket.write(upgradeRequest(t.hostname, t.port, t.path, key));
  }

  /** @internal */
  closedBySocket(): void {
    this.upgradeReject?.(new Error(`connection to ${this.target.hostname}:${this.target.port} closed before the upgrade`));
    this.upgradeResolve = this.upgradeReject = null;
    this.peerClosed();
  }

  /** @internal */
  received(chunk: Uint8Array): void {
    if (this.stamp !== null) this.readAt = this.stamp();
    const buf = this.input.join(chunk);
    const len = this.input.length;
    let at = 0;
    if (!this.upgraded) {
      const end = indexOf(buf, len, CRLF2);
      if (end < 0) return this.input.keep(buf, 0, len);
      const head = new TextDecoder().decode(buf.subarray(0, end));
      if (!/^HTTP\/1\.1 101/.test(head)) {
        this.upgradeReject?.(new Error(`upgrade refused: ${head.split("\r\n")[0]}`));
        this.upgradeResolve = this.upgradeReject = null;
        this.close();
        return;
      }
      this.upgraded = true;
      at = end + 4;
      this.upgradeResolve?.();
      this.upgradeResolve = this.upgradeReject = null;
    }
    const f = this.frame;
    while (f.read(buf, at, len)) {
      const opcode = f.opcode;
      const head = f.head;
      const n = f.length;
      this.frames++;
      if (opcode === 2) this.onFrame(this, buf, at + head, n);
      else if (opcode === 9) this.pong(buf, at + head, n);
      else if (opcode === 8) {
        this.peerClosed();
        this.socket?.end();
      }
      at += head + n;
    }
    this.input.keep(buf, at, len);
    if (this.afterRead !== null) this.afterRead(this);
  }

  private pong(buf: Uint8Array, at: number, n: number): void {
    this.queue(10, buf, at, n);
    this.flush();
  }

  /** @internal */
  waitUpgrade(): Promise<void> {
    if (this.upgraded) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.upgradeResolve = resolve;
      this.upgradeReject = reject;
    });
  }
}

function indexOf(buf: Uint8Array, len: number, pat: number[]): number {
  outer: for (let i = 0; i + pat.length <= len; i++) {
    for (let k = 0; k < pat.length; k++) if (buf[i + k] !== pat[k]) continue outer;
    return i;
  }
  return -1;
}

const handlers = {
  binaryType: "uint8array" as const,
  open(s: Socket<WireConn>) {
    s.data.opened(s);
  },
  data(s: Socket<WireConn>, d: Uint8Array) {
    s.data.received(d);
  },
  drain(s: Socket<WireConn>) {
    s.data.drained();
  },
  close(s: Socket<WireConn>) {
    s.data.closedBySocket();
  },
  error(s: Socket<WireConn>) {
    s.data.closedBySocket();
  },
};

/** Connects and completes the WebSocket upgrade. */
export async function connectWire(target: WireTarget, onFrame: FrameHandler, onClose?: (c: WireConn) => void, tag = 0): Promise<WireConn> {
  const conn = new WireConn(target, onFrame, onClose ?? null);
  conn.tag = tag;
  const upgraded = conn.waitUpgrade();
  await Bun.connect<WireConn>({ hostname: target.hostname, port: target.port, data: conn, socket: handlers });
  await withTimeout(upgraded, 10_000, `WebSocket upgrade to ${target.hostname}:${target.port}${target.path}`);
  return conn;
}

/** Opens `n` connections, at most `parallel` handshakes at a time. */
export async function connectMany(target: WireTarget, n: number, parallel: number, make: (i: number) => { onFrame: FrameHandler; onClose?: (c: WireConn) => void }): Promise<WireConn[]> {
  const out: WireConn[] = new Array(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const h = make(i);
      out[i] = await connectWire(target, h.onFrame, h.onClose, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
  return out;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
    }),
  ]);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
