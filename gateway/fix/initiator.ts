import type { Socket } from "bun";
import { encodeFix, fixTimestamp } from "./codec.ts";
import { FixFramer } from "./framer.ts";
import type { Field, FixMessage } from "./message.ts";

export interface InitiatorOptions {
  host: string;
  port: number;
  senderCompId: string;
  targetCompId?: string;
  /** Answer TestRequests with a Heartbeat by itself. Default true. */
  answerTestRequests?: boolean;
  /** FIX over TLS; `ca`: the PEM certificate to trust (an acceptor's self-signed one). */
  tls?: { ca?: string; serverName?: string };
}

interface Waiter {
  types: string[] | null;
  resolve(m: FixMessage): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** The session with the acceptor did not go as asked: it closed, a reply did not come in time, or the logon was refused. */
export class FixSessionError extends Error {
  override name = "FixSessionError";
}

/**
 * A small FIX 4.4 initiator over Bun.connect: our tests, the bench and scripts talk to the acceptor
 * with it. It stamps headers and keeps the outbound sequence, and hands every received message to
 * whoever awaits it; the session rules (resends, gap fills) are the caller's business, so a test can
 * break them on purpose. For production use a full FIX engine (QuickFIX, jspurefix).
 */
export class FixInitiator {
  /** MsgSeqNum of the next message sent. */
  nextSeq = 1;
  /** Every message received, in order. */
  readonly received: FixMessage[] = [];
  private readonly queue: FixMessage[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly framer = new FixFramer();
  private socket!: Socket<undefined>;
  private isClosed = false;
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  /** Garbled frames the framer reported (the acceptor should never send one). */
  garbled = 0;

  private constructor(readonly opts: InitiatorOptions) {
    this.closed = new Promise((r) => (this.markClosed = r));
  }

  static async connect(opts: InitiatorOptions): Promise<FixInitiator> {
    const c = new FixInitiator(opts);
    // Over TLS, bytes written before the handshake ends are not sent: connect() resolves after it.
    let settled = !opts.tls;
    let settle: (err: Error | null) => void = () => {};
    const shaken = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
    const handshake = (err: Error | null) => {
      if (settled) return;
      settled = true;
      settle(err);
    };
    c.socket = await Bun.connect({
      hostname: opts.host,
      port: opts.port,
      ...(opts.tls ? { tls: opts.tls } : {}),
      socket: {
        data: (_s, data) => c.onData(data),
        close: () => {
          handshake(new FixSessionError("connection closed during the TLS handshake"));
          c.onClose();
        },
        error: () => c.onClose(),
        handshake: (_s, ok, err) => handshake(ok ? null : new FixSessionError(`TLS handshake failed: ${err?.message ?? "not authorized"}`)),
      },
    });
    if (opts.tls) await shaken;
    return c;
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  private onData(data: Uint8Array): void {
    this.framer.push(data);
    for (let f = this.framer.next(); f !== null; f = this.framer.next()) {
      if (f.kind === "garbled") {
        this.garbled++;
        continue;
      }
      const m = f.message;
      this.received.push(m);
      if (m.msgType === "1" && this.opts.answerTestRequests !== false) this.send([[35, "0"], [112, m.get(112) ?? ""]]);
      const i = this.waiters.findIndex((w) => w.types === null || w.types.includes(m.msgType));
      if (i >= 0) {
        const w = this.waiters.splice(i, 1)[0]!;
        clearTimeout(w.timer);
        w.resolve(m);
      } else this.queue.push(m);
    }
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new FixSessionError("connection closed"));
    }
    this.markClosed();
  }

  /** Stamps the header (49, 56, 34, 52; 43/122 for a resend) and sends. Returns the MsgSeqNum used. */
  send(fields: Field[], o: { seq?: number; possDup?: boolean; sendingTime?: number } = {}): number {
    const seq = o.seq ?? this.nextSeq++;
    const [type, ...body] = fields;
    const now = fixTimestamp(o.sendingTime ?? Date.now());
    const header: Field[] = [type!, [49, this.opts.senderCompId], [56, this.opts.targetCompId ?? "BOURSE"], [34, String(seq)], [52, now]];
    if (o.possDup) header.push([43, "Y"], [122, now]);
    this.raw(encodeFix([...header, ...body]));
    return seq;
  }

  raw(bytes: Uint8Array): void {
    if (!this.isClosed) this.socket.write(bytes);
  }

  /**
   * The next received message of one of `types` (any type when omitted), waiting up to `timeoutMs`.
   * Messages of other types stay queued for a later call.
   */
  next(types?: string | string[], timeoutMs = 5000): Promise<FixMessage> {
    const list = types === undefined ? null : Array.isArray(types) ? types : [types];
    const i = this.queue.findIndex((m) => list === null || list.includes(m.msgType));
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]!);
    if (this.isClosed) return Promise.reject(new FixSessionError(`connection closed while waiting for ${list?.join("/") ?? "a message"}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const k = this.waiters.indexOf(w);
        if (k >= 0) this.waiters.splice(k, 1);
        reject(new FixSessionError(`no ${list?.join("/") ?? "message"} within ${timeoutMs} ms`));
      }, timeoutMs);
      const w: Waiter = { types: list, resolve, reject, timer };
      this.waiters.push(w);
    });
  }

  /** Queued messages not yet taken by next(). */
  pending(): FixMessage[] {
    return [...this.queue];
  }

  /** Logon with Username/Password; resolves with the answer (A) or rejects with the Logout's text. */
  async logon(username: string, password: string, extra: Field[] = [], heartBtInt = 30): Promise<FixMessage> {
    this.send([[35, "A"], [98, "0"], [108, String(heartBtInt)], ...extra, [553, username], [554, password]]);
    const m = await this.next(["A", "5"]);
    if (m.msgType === "5") throw new FixSessionError(`logon refused: ${m.get(58) ?? ""}`);
    return m;
  }

  /** Logout handshake, then the connection closes. */
  async logout(): Promise<void> {
    if (this.isClosed) return;
    this.send([[35, "5"]]);
    await this.next("5").catch(() => {});
    this.close();
    await this.closed;
  }

  close(): void {
    if (!this.isClosed) this.socket.end();
  }
}
