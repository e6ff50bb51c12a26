import { join } from "node:path";
import type { Socket, TCPSocketListener } from "bun";
import type { FixConfig } from "./config.ts";
import type { Instrument } from "../../engine/instrument.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import { AuthRefusal, authenticate } from "../auth/authenticate.ts";
import type { LoginGuard } from "../auth/login-guard.ts";
import type { ApiKeys } from "../auth/keys.ts";
import type { OrderEntry } from "../order-entry/order-entry.ts";
import { FixDoor, FixOrderSession } from "./application.ts";
import { FixMarketData, type FixMarketDataSession, MdMsgType, type MarketDataSource } from "./market-data.ts";
import { Tag } from "./dialect.ts";
import { FixFramer } from "./framer.ts";
import type { FixMessage } from "./message.ts";
import { FixSession } from "./session.ts";
import { FixStore } from "./store.ts";
import { CompIdRegistry } from "./comp-ids.ts";

export interface FixAcceptorOptions {
  orderEntry: OrderEntry;
  instruments: Instrument[];
  keys: ApiKeys;
  /** Failed logons counted per key and address, shared with the other doors (gateway/auth/login-guard.ts). */
  loginGuard?: LoginGuard;
  /** PEM certificate and key: FIX over TLS, so a Logon's password never crosses a network in clear. */
  tls?: { cert: string; key: string };
  /** The FIX stores live in `<dataDir>/fix`. */
  dataDir: string;
  config?: FixConfig;
  /** Delivered market data (the WebSocket door's fan-out): with it, MarketDataRequest (V) is served (gateway/fix/market-data.ts). */
  marketData?: MarketDataSource;
  host?: string;
  /** 0 = any free port (tests). */
  port?: number;
  log?: Logger;
}

export interface FixAcceptor {
  readonly listener: TCPSocketListener<Connection>;
  readonly host: string;
  readonly port: number;
  readonly compId: string;
  /** Where the message stores and the SenderCompID registry are (`<dataDir>/fix`). */
  readonly storeDir: string;
  /** Connections open now (logged on or not). */
  readonly connections: number;
  /** For /metrics: sessions logged on now, live market data subscriptions, slow consumers cut since start. */
  stats(): { loggedOn: number; subscriptions: number; slowConsumerCuts: number };
  /** Logs every session out with `reason` (default: shutting down) and stops listening. Idempotent. */
  stop(reason?: string): Promise<void>;
  /** Logs out and closes every session logged on with `keyId` (the key was revoked); returns how many. */
  closeKey(keyId: string): number;
}

/** Unsent bytes a connection may hold before it is cut as a slow consumer. */
const DEFAULT_MAX_QUEUED = 8 << 20;

/**
 * One TCP connection: its framer, its FIX session and, once logged on, its order session. Output is
 * held during a task and written once at its end (one syscall for a burst of ExecutionReports); what
 * the kernel does not take waits for `drain`.
 */
class Connection {
  readonly framer = new FixFramer();
  session!: FixSession;
  orders: FixOrderSession | null = null;
  /** Its market data subscriptions, once logged on (when the door serves market data). */
  md: FixMarketDataSession | null = null;
  compId = "";
  /** The logged-on key's `trade` scope. */
  mayTrade = false;
  account = -1;
  /** The API key it logged on with ("" before): a revocation closes its sessions. */
  keyId = "";
  /** door, remote address; the session adds compId and account at Logon. */
  log: Logger = silentLogger;
  /** Tag 8013 of the Logon, if it had one. */
  cancelOnDisconnect: string | undefined;
  store: FixStore | null = null;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private pending: Uint8Array | null = null;
  private scheduled = false;
  closed = false;

  constructor(
    readonly socket: Socket<Connection>,
    private readonly maxQueued: number,
    private readonly onSlow: (c: Connection) => void,
  ) {}

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.held.length === 0 || this.closed) return;
    let out: Uint8Array;
    if (this.held.length === 1 && !this.pending) out = this.held[0]!;
    else {
      out = new Uint8Array((this.pending?.length ?? 0) + this.heldBytes);
      let at = 0;
      if (this.pending) {
        out.set(this.pending, 0);
        at = this.pending.length;
      }
      for (const b of this.held) {
        out.set(b, at);
        at += b.length;
      }
    }
    this.held = [];
    this.heldBytes = 0;
    if (this.pending && out.length > this.maxQueued) {
      this.pending = out;
      return this.onSlow(this);
    }
    // While bytes wait for drain, new ones queue behind them rather than overtaking.
    if (this.pending) {
      this.pending = out;
      return;
    }
    this.send(out);
  };

  private send(out: Uint8Array): void {
    const n = this.socket.write(out);
    this.pending = n < out.length ? out.subarray(Math.max(n, 0)) : null;
  }

  drain(): void {
    if (!this.pending) return;
    const out = this.pending;
    this.pending = null;
    this.send(out);
  }
}

/**
 * The FIX 4.4 acceptor (Bun.listen): each connection gets a framer, a session layer (FixSession:
 * logon, sequence numbers, resends, heartbeats) and, once logged on, an order session on the shared
 * order entry. A garbled stream or a bad message affects only its own connection.
 */
export function startFixAcceptor(o: FixAcceptorOptions): FixAcceptor {
  const cfg = o.config ?? {};
  const log = o.log ?? silentLogger;
  const compId = cfg.compId ?? "BOURSE";
  const storeDir = join(o.dataDir, "fix");
  const door = new FixDoor(o.orderEntry, o.instruments);
  /** Made once the port is open: a door that failed to listen leaves no listener on the market data. */
  let marketData: FixMarketData | null = null;
  const maxQueued = cfg.maxQueuedBytes ?? DEFAULT_MAX_QUEUED;
  /** SenderCompIDs logged on now: one live session per counterparty (they share a store). */
  const live = new Map<string, Connection>();
  const compIds = new CompIdRegistry(storeDir, [...o.keys.all()].map((k) => ({ keyId: k.id, compIds: k.fixCompIds ?? [] })), cfg.maxCompIdsPerKey ?? 16);
  const open = new Set<Connection>();

  let slowCuts = 0;
  const slow = (c: Connection) => {
    slowCuts++;
    c.log.warn("slow consumer cut", { compId: c.compId || undefined, limitBytes: maxQueued });
    c.socket.end();
  };

  function logOn(c: Connection, logon: FixMessage): { account: number } | { error: string } {
    const sender = logon.get(Tag.SenderCompID) ?? "";
    const user = logon.get(553) ?? "";
    const password = logon.get(554) ?? "";
    const auth = authenticate(o.keys, { keyId: user, proof: { kind: "secret", secret: password }, address: c.socket.remoteAddress, guard: o.loginGuard });
    if (!auth.ok && auth.refusal === AuthRefusal.ADDRESS_NOT_ALLOWED) return { error: `this API key may not log on from ${c.socket.remoteAddress}` };
    if (!auth.ok && auth.refusal === AuthRefusal.LOCKED) return { error: `too many failed logons for this key or address; try again in ${Math.ceil((auth.retryAfterMs ?? 0) / 1000)} s` };
    // The same answer for an unknown user and a wrong password: no probing for key ids.
    if (!auth.ok) return { error: "invalid Username (553) or Password (554)" };
    // Whose name it is comes before whether it is in use: another key's CompID says nothing of its owner's sessions.
    const claim = compIds.claim(sender, auth.keyId);
    if (!claim.ok) return { error: claim.why };
    const other = live.get(sender);
    if (other && other !== c) return { error: `SenderCompID ${sender} is already logged on` };
    c.compId = sender;
    c.account = auth.account;
    c.keyId = auth.keyId;
    c.mayTrade = auth.scopes.includes("trade");
    c.cancelOnDisconnect = logon.get(Tag.CancelOnDisconnect);
    return { account: auth.account };
  }

  const listener = Bun.listen<Connection>({
    hostname: o.host ?? cfg.host ?? "127.0.0.1",
    port: o.port ?? cfg.port ?? 9878,
    ...(o.tls ? { tls: o.tls } : {}),
    socket: {
      open(socket) {
        const c = new Connection(socket, maxQueued, slow);
        socket.data = c;
        open.add(c);
        c.log = log.child({ door: "fix", remote: socket.remoteAddress });
        c.log.debug("connection opened");
        c.session = new FixSession(
          {
            send: (bytes) => c.write(bytes),
            close: () => {
              // The session has logged why.
              c.flush();
              socket.end();
            },
            authenticate: (logon) => logOn(c, logon),
            openStore: () => {
              // Keyed by counterparty and account: one SenderCompID used for two accounts keeps two histories.
              c.store = FixStore.open(storeDir, `${c.account}.${c.compId}`);
              return c.store;
            },
            // Without market data a V goes to the order session, which answers it as unsupported.
            onApplication: (m) => (m.msgType === MdMsgType.MarketDataRequest && c.md ? c.md.onMessage(m) : c.orders?.onMessage(m)),
            onLogon: () => {
              live.set(c.compId, c);
              const cod = c.cancelOnDisconnect;
              c.orders = new FixOrderSession(door, c.session, `${c.account}.${c.compId}`, c.account, cod === undefined ? (cfg.cancelOnDisconnect ?? false) : cod === "Y", cfg.maxOrdersPerSecond ?? 2000, c.mayTrade);
              c.md = marketData?.session(c.session) ?? null;
                          },
            onEnd: () => end(c),
            log: c.log,
          },
          { compId, now: Date.now, maxHeartBtIntSec: cfg.maxHeartBtIntSec },
        );
      },
      data(socket, data) {
        const c = socket.data;
        // A closed session reads nothing more: what a flood sends after it is only discarded.
        if (isClosed(c)) return;
        c.framer.push(data);
        try {
          for (let f = c.framer.next(); f !== null && !isClosed(c); f = c.framer.next()) c.session.onFrame(f);
        } catch (e) {
          // A bug while handling one connection's message must not take the acceptor down.
          c.log.error("request handler threw", { compId: c.compId || undefined, err: e });
          c.session.logout("internal error");
        }
      },
      drain(socket) {
        socket.data.drain();
      },
      close(socket) {
        const c = socket.data;
        c.closed = true;
        open.delete(c);
        c.session.disconnected();
        end(c);
      },
      error(socket, e) {
        (socket.data?.log ?? log).warn("socket error", { compId: socket.data?.compId || undefined, err: e.message });
      },
    },
  });

  /** Logout or disconnect: stop routing to it, cancel its orders if it asked, release its name and store. */
  function end(c: Connection): void {
    if (c.orders) {
      c.orders.close();
      c.orders = null;
    }
    c.md?.close();
    c.md = null;
    if (live.get(c.compId) === c) live.delete(c.compId);
    // The session may still flush the store on its way out (its last Logout); close after that.
    const store = c.store;
    c.store = null;
    if (store) queueMicrotask(() => store.close());
  }

  if (o.marketData) marketData = new FixMarketData(o.marketData, o.instruments);
  let stopped = false;
  const ticker = setInterval(() => {
    for (const c of open) c.session.tick();
  }, 1000);

  log.info("fix door listening", { door: "fix", host: listener.hostname, port: listener.port, targetCompId: compId, tls: o.tls !== undefined });
  return {
    listener,
    host: listener.hostname,
    port: listener.port,
    compId,
    storeDir,
    get connections() {
      return open.size;
    },
    stats() {
      return { loggedOn: live.size, subscriptions: marketData?.subscriptions ?? 0, slowConsumerCuts: slowCuts };
    },
    closeKey(keyId) {
      let n = 0;
      for (const c of [...open]) {
        if (c.keyId !== keyId) continue;
        // Told, then cut: no logout handshake to wait out, so nothing more of the revoked key's is read.
        c.session.logout("the API key was revoked");
        c.flush();
        c.socket.end();
        n++;
      }
      return n;
    },
    async stop(reason = "the exchange is shutting down") {
      if (stopped) return;
      stopped = true;
      clearInterval(ticker);
      for (const c of open) {
        c.session.logout(reason);
        c.flush();
      }
      listener.stop(true);
      for (const c of [...open]) end(c);
      marketData?.close();
    },
  };
}

/** A function rather than an inline test: onFrame changes the state, which TypeScript's narrowing cannot see. */
function isClosed(c: Connection): boolean {
  return c.session.state === "closed";
}
