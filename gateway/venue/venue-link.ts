import { join } from "node:path";
import type { Socket } from "bun";
import { type Logger, silentLogger } from "../../log/logger.ts";
import type { Field, FixMessage } from "../fix/message.ts";
import { FixFramer } from "../fix/framer.ts";
import { FixSession } from "../fix/session.ts";
import { FixStore } from "../fix/store.ts";
import type { VenueConnection } from "./link-config.ts";

export interface VenueLinkHooks {
  /** Logged on: the venue answers from here. */
  onUp(): void;
  /** The session ended (logout, a dropped connection, a refused logon). Not called for a connect that never reached a session. */
  onDown(reason: string): void;
  /** An in-sequence application message from the venue. */
  onMessage(m: FixMessage): void;
}

/**
 * One FIX 4.4 initiator session to a venue, kept up: it connects, logs on with the sequence
 * numbers its store holds (so the venue's resend and ours fill any gap, docs/fix.md), and when the
 * connection fails or drops it tries again, waiting longer each time up to a bound. The session
 * layer is the acceptor's own (gateway/fix/session.ts); the store outlives connections.
 */
export class VenueLink {
  private session: FixSession | null = null;
  private socket: Socket<undefined> | null = null;
  private store: FixStore | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private wait: number;
  private stopped = false;
  private wasUp = false;
  private pending: Uint8Array | null = null;

  constructor(
    readonly name: string,
    private readonly c: VenueConnection,
    private readonly storeDir: string,
    private readonly hooks: VenueLinkHooks,
    private readonly log: Logger = silentLogger,
  ) {
    this.wait = c.reconnectMs ?? 1000;
  }

  /** Where the session's store is kept: `<dataDir>/venues`. */
  static storeDir(dataDir: string): string {
    return join(dataDir, "venues");
  }

  get up(): boolean {
    return this.session?.state === "active";
  }

  start(): void {
    this.ticker = setInterval(() => this.session?.tick(), 1000);
    void this.connect();
  }

  /** Sends an application message; 0 when the session is not logged on (nothing was sent or stored). */
  send(fields: Field[]): number {
    return this.session && this.session.state === "active" ? this.session.sendApp(fields) : 0;
  }

  /** Logs out and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ticker) clearInterval(this.ticker);
    const s = this.session;
    if (s && s.state === "active") {
      const ended = new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        this.ended = () => {
          clearTimeout(t);
          resolve();
        };
      });
      s.logout("shutting down");
      await ended;
    }
    this.socket?.end();
    this.closeStore();
  }

  private ended: () => void = () => {};

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const framer = new FixFramer();
    let socket: Socket<undefined>;
    try {
      socket = await Bun.connect({
        hostname: this.c.host,
        port: this.c.port,
        socket: {
          data: (_s, data) => {
            framer.push(data);
            const session = this.session;
            if (!session) return;
            for (let f = framer.next(); f !== null && session.state !== "closed"; f = framer.next()) session.onFrame(f);
          },
          drain: () => this.drain(),
          close: (s) => this.onClose(s),
          error: (_s, e) => this.log.warn("venue socket error", { venue: this.name, err: e.message }),
        },
      });
    } catch (e) {
      this.log.warn("venue connect failed", { venue: this.name, host: this.c.host, port: this.c.port, err: (e as Error).message, retryInMs: this.wait });
      this.retry();
      return;
    }
    if (this.stopped) {
      socket.end();
      return;
    }
    this.socket = socket;
    this.pending = null;
    const session = new FixSession(
      {
        send: (bytes) => this.write(bytes),
        // The session gave up on the venue (a heartbeat unanswered, a refused Logon): it is over now,
        // whether or not a frozen peer ever acknowledges the close.
        close: () => {
          socket.end();
          this.onClose(socket);
        },
        authenticate: () => ({ error: "an initiator authenticates no one" }),
        openStore: (compId) => {
          this.closeStore();
          this.store = FixStore.open(this.storeDir, `${this.c.senderCompId}.${compId}`);
          return this.store;
        },
        onApplication: (m) => this.hooks.onMessage(m),
        onLogon: () => {
          this.wasUp = true;
          this.wait = this.c.reconnectMs ?? 1000;
          this.hooks.onUp();
        },
        onEnd: () => {},
        log: this.log.child({ venue: this.name }),
      },
      { compId: this.c.senderCompId, now: Date.now },
    );
    this.session = session;
    const password = this.c.passwordEnv ? process.env[this.c.passwordEnv] : undefined;
    session.initiate({ targetCompId: this.c.targetCompId, heartBtIntSec: this.c.heartBtIntSec ?? 30, username: this.c.username, password });
  }

  private write(bytes: Uint8Array): void {
    const s = this.socket;
    if (!s) return;
    if (this.pending) {
      const joined = new Uint8Array(this.pending.length + bytes.length);
      joined.set(this.pending);
      joined.set(bytes, this.pending.length);
      this.pending = joined;
      return;
    }
    const n = s.write(bytes);
    if (n < bytes.length) this.pending = bytes.subarray(Math.max(n, 0));
  }

  private drain(): void {
    const out = this.pending;
    if (!out || !this.socket) return;
    this.pending = null;
    this.write(out);
  }

  /** Once per socket: the session's own close and the socket's close event may both come. */
  private onClose(socket: Socket<undefined>): void {
    if (socket !== this.socket) return;
    const s = this.session;
    this.socket = null;
    this.session = null;
    s?.disconnected();
    this.closeStore();
    if (this.wasUp) {
      this.wasUp = false;
      this.hooks.onDown("the session with the venue ended");
    }
    this.ended();
    this.retry();
  }

  /** After the session's own last flush (it flushes on its way out, after calling close). */
  private closeStore(): void {
    const st = this.store;
    this.store = null;
    if (st) queueMicrotask(() => st.close());
  }

  private retry(): void {
    if (this.stopped) return;
    const wait = this.wait;
    this.wait = Math.min(wait * 2, this.c.maxReconnectMs ?? 30_000);
    this.timer = setTimeout(() => void this.connect(), wait);
  }
}
