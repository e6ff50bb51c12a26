import type { Server, ServerWebSocket } from "bun";
import type { Sequencer } from "../../actors/sequencer.ts";
import { readDeliveries } from "../../actors/delivered-events.ts";
import { type InstrumentSpec, makeInstrument } from "../../engine/instrument.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import { AuthRefusal, authenticate } from "../auth/authenticate.ts";
import type { LoginGuard } from "../auth/login-guard.ts";
import type { ApiKeys } from "../auth/keys.ts";
import { type InitialBook, MarketDataFanout, topic } from "./market-data-fanout.ts";
import { OrderEntry } from "../order-entry/order-entry.ts";
import {
  Channel,
  CHANNEL_MASK,
  type ClientMessage,
  decodeClient,
  encodeAlert,
  encodeAlertsSubscribed,
  encodeError,
  encodeHello,
  encodeLoginResult,
  encodeProtocolError,
  encodeReferenceData,
  encodeReject,
  encodeSubscribed,
  ErrorCode,
  errorName,
  errorText,
  type InstrumentInfo,
  isProtocolError,
  LOGIN_OK,
  LoginFlags,
  MessageType,
  ProtocolError,
} from "../../protocol/index.ts";
import { Reason, reasonText } from "../../engine/reasons.ts";
import { Session, type SocketData } from "./session.ts";
import { PortfolioFeed, type PortfolioFeedOptions } from "./portfolio-feed.ts";
import { SocketBatch } from "./socket-batch.ts";
import type { GatewayConfig } from "./config.ts";
import { Availability } from "./health.ts";
import { buildRestApp, REST_BASE, type RestApp, type RouteModule } from "../rest/app.ts";
import type { AlertRow } from "../../history/monitoring/alerts.ts";

/** Who a LOGIN_TOKEN's bearer token names: an operator or auditor, or why not (app/exchange.ts asks the session store). */
export type OperatorAuth = (token: string) => { ok: true; name: string } | { ok: false; code: "AUTH_FAILED" | "NOT_PERMITTED"; message: string };

export interface GatewayOptions {
  sequencer: Sequencer;
  /** The exchange's instruments (the configuration file's exchange.instruments). */
  instruments: InstrumentSpec[];
  /** This door's section of the configuration file ("gateway"). */
  config?: GatewayConfig;
  keys: ApiKeys;
  /** Failed logins counted per key and address, shared with the other doors (gateway/auth/login-guard.ts). */
  loginGuard?: LoginGuard;
  /** PEM certificate and key: wss:// and https:// instead of ws:// and http://. */
  tls?: { cert: string; key: string };
  host?: string;
  /** 0 = any free port (tests). */
  port?: number;
  /** Books (levels and, for L3, orders) as they stand at start, so market data begins from the recovered state. */
  initialBooks?: InitialBook[];
  /** Market data built by the caller (app/exchange.ts); without it the door makes its own from initialBooks. */
  marketData?: MarketDataFanout;
  /** What /health and /ready answer, when the caller keeps it; without it the door makes its own. */
  availability?: Availability;
  /**
   * Order entry shared with the other doors (FIX), already listening for deliveries. Without it
   * the gateway makes its own.
   */
  orderEntry?: OrderEntry;
  log?: Logger;
  /** REST routes beyond the door's own (identity, accounts: app/exchange.ts gives them). */
  restRoutes?: readonly RouteModule[];
  /** The live portfolio (PORTFOLIO_SUBSCRIBE): how to read an account, and the fee account. Without it the door answers UNAVAILABLE. */
  portfolio?: Omit<PortfolioFeedOptions, "log">;
  /** Checks LOGIN_TOKEN's bearer token (operator sessions, docs/protocol.md); without it LOGIN_TOKEN is refused. */
  operatorAuth?: OperatorAuth;
  /** What GET /metrics answers (docs/metrics.md); without it /metrics is 404. */
  metrics?: () => Response;
}

/** Invalid frames a session may send before it is closed. */
const MAX_STRIKES = 20;
/**
 * Failed logins a session may log at info; later ones on the same session log at debug, so one
 * connection guessing keys costs a few lines, not one a guess (it is closed at MAX_STRIKES).
 */
const LOGGED_FAILED_LOGINS = 3;

export interface Gateway {
  server: Server<SocketData>;
  url: string;
  orderEntry: OrderEntry;
  marketData: MarketDataFanout;
  /** What /health and /ready answer. */
  availability: Availability;
  /** The REST door on this port (paths under /api/v1). */
  rest: RestApp;
  /** Closes every WebSocket session with `code` and `reason`, after what was sent to it (the engine stopped). */
  closeSessions(code: number, reason: string): void;
  /** Tells every session logged in with `keyId` that the key was revoked (an ERROR frame) and closes it; returns how many. */
  closeKey(keyId: string): number;
  /** Pushes alerts the history store now holds to the operator sessions that subscribed (ALERT frames); returns how many frames went out. */
  pushAlerts(alerts: readonly AlertRow[]): number;
  /** For /metrics (read at scrape time): sessions, subscribers by channel, slow consumers cut since start. */
  stats(): WebSocketStats;
  stop(): Promise<void>;
}

export interface WebSocketStats {
  sessions: number;
  loggedIn: number;
  /** Market data subscribers by channel name (l2, trades, …; one per symbol subscribed), and operator sessions taking alerts ("alerts"). */
  subscribers: Record<string, number>;
  slowConsumerCuts: number;
}

/**
 * The binary WebSocket door and a little HTTP, on one port (Bun.serve; µWebSockets underneath).
 * Market data is fanned out with server.publish topics, encoded once per update. A malformed frame
 * gets an ERROR frame and changes nothing; a session that keeps sending them is closed with a
 * reason; other sessions never notice. A subscriber that stops reading is cut off when its queue
 * passes the backpressure limit, so a slow reader cannot make the server's memory grow.
 */
export function startGateway(opts: GatewayOptions): Gateway {
  const { sequencer, keys } = opts;
  const log = opts.log ?? silentLogger;
  const gw = opts.config ?? {};
  const instruments: InstrumentInfo[] = opts.instruments.map((spec) => {
    const inst = makeInstrument(spec);
    return { id: inst.id, symbol: inst.symbol, tickSize: inst.tickSize, lotSize: inst.lotSize, base: inst.base, quote: inst.quote };
  });
  const symbolIds = new Set(instruments.map((i) => i.id));
  const md = opts.marketData ?? new MarketDataFanout([...symbolIds], opts.initialBooks ?? []);
  const ownOrders = !opts.orderEntry;
  const orders = opts.orderEntry ?? new OrderEntry(sequencer);
  const unlisten = ownOrders ? orders.listen() : () => {};
  // The door's one delivery batch: order entry opens it before each delivery (its listener runs
  // first, so the market data listener below needs no call of its own) and every session holds into it.
  const batch = new SocketBatch();
  orders.onBatch(batch.begin);
  let lastTime = 0;
  /** This door's open sessions (the slow-consumer sweep walks them). */
  const sessions = new Set<Session>();
  const slowLimit = gw.backpressureLimitBytes ?? 1 << 20;
  const hardLimit = Math.max(4 * slowLimit, slowLimit + (1 << 20));
  const availability = opts.availability ?? new Availability(sequencer);
  const portfolio = opts.portfolio ? new PortfolioFeed({ ...opts.portfolio, log }) : null;
  // The REST door shares this port (docs/rest.md): the same keys, login guard and engine state.
  const rest = buildRestApp({ keys, ...(opts.loginGuard ? { loginGuard: opts.loginGuard } : {}), instruments: opts.instruments, availability, log, ...(gw.rest ? { config: gw.rest } : {}) }, opts.restRoutes ?? []);

  const server: Server<SocketData> = Bun.serve<SocketData>({
    hostname: opts.host ?? gw.host ?? "127.0.0.1",
    port: opts.port ?? gw.port ?? 7070,
    ...(opts.tls ? { tls: opts.tls } : {}),
    fetch(req, srv) {
      const url = new URL(req.url);
      if (url.pathname === "/ws") {
        if (srv.upgrade(req, { data: {} as SocketData })) return undefined;
        return new Response("expected a WebSocket upgrade", { status: 426 });
      }
      if (url.pathname === "/health") return availability.health();
      if (url.pathname === "/ready") return availability.ready();
      if (url.pathname === "/instruments") return Response.json(instruments);
      if (url.pathname === "/metrics" && opts.metrics) return opts.metrics();
      // The peer's address goes with the request: the login guard and key allowlists need it.
      if (url.pathname.startsWith(REST_BASE)) return rest.fetch(req, { address: srv.requestIP(req)?.address ?? "" });
      return new Response("not found", { status: 404 });
    },
    websocket: {
      // The sweep below tells a slow subscriber why and closes it at the configured limit; this is
      // only the hard stop behind it, so memory stays bounded even between sweeps.
      backpressureLimit: hardLimit,
      closeOnBackpressureLimit: true,
      maxPayloadLength: 64 * 1024,
      perMessageDeflate: false,
      open(ws: ServerWebSocket<SocketData>) {
        const s = new Session(orders.sessionId(), ws, gw.maxOrdersPerSecond ?? 2000, batch);
        ws.data.session = s;
        ws.data.log = log.child({ door: "ws", session: s.id, remote: ws.remoteAddress });
        ws.data.log.debug("connection opened");
        orders.attach(s);
        sessions.add(s);
        const n = encodeHello(s.w, { type: MessageType.HELLO, seq: s.nextSeq(), serverTime: Math.floor(Date.now() * 1000), nonce: s.nonce });
        s.send(n);
      },
      message(ws: ServerWebSocket<SocketData>, data: string | Buffer) {
        const s = ws.data.session;
        // A Buffer is a Uint8Array: decodeClient reads its bytes and never asks for `.buffer`.
        const m = decodeClient(data);
        if (isProtocolError(m)) return protocolError(s, m);
        try {
          handle(s, m);
        } catch (e) {
          // A bug in handling one frame must not take the server or other sessions down.
          ws.data.log.error("request handler threw", { messageType: m.type, err: e });
          protocolError(s, new ProtocolError(ErrorCode.UNAVAILABLE, "internal error handling the request", m.type, m.requestId));
        }
      },
      close(ws: ServerWebSocket<SocketData>, code: number, reason: string) {
        const s = ws.data.session;
        // Every logged-in session's end is worth a line; an anonymous one's only if it was cut.
        const normal = code === 1000 || code === 1001 || code === 1005;
        const fields = { code, reason: reason || (normal ? "closed by the client" : "") };
        if (s.loggedIn || !normal) ws.data.log.info("session closed", fields);
        else ws.data.log.debug("session closed", fields);
        sessions.delete(s);
        orders.detach(s);
        portfolio?.detach(s);
      },
    },
  });

  function protocolError(s: Session, e: ProtocolError): void {
    s.send(encodeProtocolError(s.w, s.nextSeq(), e));
    if (++s.strikes > MAX_STRIKES) s.ws.close(1008, `too many invalid frames (${errorText(e.code)})`);
  }

  function handle(s: Session, m: ClientMessage): void {
    switch (m.type) {
      case MessageType.LOGIN_TOKEN:
      case MessageType.ALERTS_SUBSCRIBE:
      case MessageType.ALERTS_UNSUBSCRIBE:
        return operatorRequest(s, m);
      case MessageType.LOGIN: {
        if (s.loggedIn || s.user !== "") return protocolError(s, new ProtocolError(ErrorCode.ALREADY_LOGGED_IN, "this session is logged in", m.type, m.requestId));
        const now = Math.floor(Date.now() * 1000);
        const auth = authenticate(keys, { keyId: m.apiKeyId, proof: { kind: "hmac", nonce: s.nonce, login: m, now }, address: s.ws.remoteAddress, guard: opts.loginGuard });
        // A locked key or address is told to slow down (RATE_LIMITED), not that the proof was wrong: it was not checked.
        const code: number = auth.ok ? LOGIN_OK : auth.refusal === AuthRefusal.STALE_TIMESTAMP ? ErrorCode.STALE_TIMESTAMP : auth.refusal === AuthRefusal.LOCKED ? ErrorCode.RATE_LIMITED : auth.refusal === AuthRefusal.ADDRESS_NOT_ALLOWED ? ErrorCode.NOT_PERMITTED : ErrorCode.AUTH_FAILED;
        if (auth.ok) {
          s.account = auth.account;
          s.keyId = auth.keyId;
          s.mayTrade = auth.scopes.includes("trade");
          s.cancelOnDisconnect = (m.flags & LoginFlags.CANCEL_ON_DISCONNECT) !== 0;
          s.ws.data.log = s.ws.data.log.child({ account: s.account, key: auth.keyId });
          s.ws.data.log.info("login", { cancelOnDisconnect: s.cancelOnDisconnect });
        } else {
          s.strikes++;
          const failed = ++s.failedLogins;
          s.ws.data.log[failed <= LOGGED_FAILED_LOGINS ? "info" : "debug"]("login failed", { key: m.apiKeyId.slice(0, 64), reason: errorName(code), failedLogins: failed, ...(auth.ok ? {} : auth.retryAfterMs !== undefined ? { retryAfterMs: auth.retryAfterMs } : {}) });
        }
        s.send(encodeLoginResult(s.w, { type: MessageType.LOGIN_RESULT, seq: s.nextSeq(), requestId: m.requestId, code, account: code === LOGIN_OK ? s.account : 0, sessionId: s.id, serverTime: now }));
        if (code === LOGIN_OK) s.send(encodeReferenceData(s.w, { type: MessageType.REFERENCE_DATA, seq: s.nextSeq(), requestId: 0, instruments }));
        if (s.strikes > MAX_STRIKES) s.ws.close(1008, "too many failed logins");
        return;
      }
      case MessageType.REFERENCE_DATA_REQUEST:
      case MessageType.SUBSCRIBE:
      case MessageType.UNSUBSCRIBE:
        // A 14-byte request can cost a whole-book snapshot: the same per-session rate limit applies.
        if (!s.allow()) {
          s.send(encodeError(s.w, { type: MessageType.ERROR, seq: s.nextSeq(), requestId: m.requestId, code: ErrorCode.RATE_LIMITED, reason: 0, messageType: m.type, text: errorText(ErrorCode.RATE_LIMITED) }));
          return;
        }
    }
    switch (m.type) {
      case MessageType.REFERENCE_DATA_REQUEST: {
        const list = m.symbol === -1 ? instruments : instruments.filter((i) => i.id === m.symbol);
        if (list.length === 0) return reject(s, m.requestId, m.type, m.symbol, Reason.UNKNOWN_SYMBOL);
        s.send(encodeReferenceData(s.w, { type: MessageType.REFERENCE_DATA, seq: s.nextSeq(), requestId: m.requestId, instruments: list }));
        return;
      }
      case MessageType.SUBSCRIBE:
      case MessageType.UNSUBSCRIBE: {
        if (!symbolIds.has(m.symbol)) return reject(s, m.requestId, m.type, m.symbol, Reason.UNKNOWN_SYMBOL);
        const subscribing = m.type === MessageType.SUBSCRIBE;
        let active = 0;
        const added = subscribing ? m.channels & CHANNEL_MASK : 0;
        for (const ch of MarketDataFanout.channels()) {
          const t = topic(m.symbol, ch);
          if (m.channels & ch) {
            if (subscribing) s.ws.subscribe(t);
            else s.ws.unsubscribe(t);
          }
          if (s.ws.isSubscribed(t)) active |= ch;
        }
        s.send(encodeSubscribed(s.w, { type: MessageType.SUBSCRIBED, seq: s.nextSeq(), requestId: m.requestId, symbol: m.symbol, channels: active }));
        const now = lastTime || Math.floor(Date.now() * 1000);
        if (added) md.snapshots(m.symbol, added, subscribing ? m.depth : 0, now, (frame) => s.ws.sendBinary(frame));
        return;
      }
    }
    if (m.type === MessageType.PORTFOLIO_SUBSCRIBE || m.type === MessageType.PORTFOLIO_UNSUBSCRIBE) return portfolioRequest(s, m.type, m.requestId);
    // Order entry from here on: needs a login, and is rate limited per session.
    if (s.user !== "") return protocolError(s, new ProtocolError(ErrorCode.NOT_PERMITTED, "an operator session places no orders: log in with an API key (LOGIN) to trade", m.type, m.requestId));
    if (!s.loggedIn) return protocolError(s, new ProtocolError(ErrorCode.NOT_LOGGED_IN, "log in before sending orders", m.type, m.requestId));
    // A read-only key may ask for its orders' status, not change them.
    if (!s.mayTrade && m.type !== MessageType.ORDER_STATUS_REQUEST) {
      s.send(encodeError(s.w, { type: MessageType.ERROR, seq: s.nextSeq(), requestId: m.requestId, code: ErrorCode.NOT_PERMITTED, reason: 0, messageType: m.type, text: "this API key has no trade scope" }));
      return;
    }
    if (!s.allow()) {
      s.send(encodeError(s.w, { type: MessageType.ERROR, seq: s.nextSeq(), requestId: m.requestId, code: ErrorCode.RATE_LIMITED, reason: 0, messageType: m.type, text: errorText(ErrorCode.RATE_LIMITED) }));
      return;
    }
    switch (m.type) {
      case MessageType.NEW_ORDER:
        return orders.newOrder(s, m.requestId, m);
      case MessageType.CANCEL:
        return orders.cancel(s, m.requestId, m.symbol, m.orderId, m.clientOrderId);
      case MessageType.AMEND:
        return orders.amend(s, m.requestId, m.symbol, m.orderId, m.clientOrderId, m.price, m.stopPrice, m.qty);
      case MessageType.MASS_CANCEL:
        return orders.massCancel(s, m.requestId, m.symbol);
      case MessageType.ORDER_STATUS_REQUEST:
        return orders.status(s, m.requestId, m.symbol, m.orderId, m.clientOrderId);
    }
  }

  /** PORTFOLIO_SUBSCRIBE and _UNSUBSCRIBE: the logged-in account's own live portfolio, never another's. */
  function portfolioRequest(s: Session, type: number, requestId: number): void {
    if (!s.loggedIn) return protocolError(s, new ProtocolError(ErrorCode.NOT_LOGGED_IN, "log in before subscribing to the portfolio", type, requestId));
    if (!portfolio) return protocolError(s, new ProtocolError(ErrorCode.UNAVAILABLE, "this server has no portfolio feed", type, requestId));
    // A subscribe costs an engine read: it counts against the session's request rate.
    if (!s.allow()) {
      s.send(encodeError(s.w, { type: MessageType.ERROR, seq: s.nextSeq(), requestId, code: ErrorCode.RATE_LIMITED, reason: 0, messageType: type, text: errorText(ErrorCode.RATE_LIMITED) }));
      return;
    }
    if (type === MessageType.PORTFOLIO_SUBSCRIBE) portfolio.subscribe(s, requestId);
    else portfolio.unsubscribe(s, requestId);
  }

  /** LOGIN_TOKEN and the alert subscription: operators' and auditors' sessions (docs/protocol.md, operator sessions). */
  function operatorRequest(s: Session, m: ClientMessage & { type: 0x02 | 0x25 | 0x26 }): void {
    if (m.type === MessageType.LOGIN_TOKEN) {
      if (s.loggedIn || s.user !== "") return protocolError(s, new ProtocolError(ErrorCode.ALREADY_LOGGED_IN, "this session is logged in", m.type, m.requestId));
      const now = Math.floor(Date.now() * 1000);
      // A door without identity knows no session: every token is unknown to it.
      const auth = opts.operatorAuth?.(m.token) ?? { ok: false as const, code: "AUTH_FAILED" as const, message: "no such session" };
      if (!auth.ok && auth.code === "NOT_PERMITTED") return protocolError(s, new ProtocolError(ErrorCode.NOT_PERMITTED, auth.message, m.type, m.requestId));
      if (auth.ok) {
        s.user = auth.name;
        s.userToken = m.token;
        s.ws.data.log = s.ws.data.log.child({ user: auth.name });
        s.ws.data.log.info("operator login");
      } else {
        s.strikes++;
        const failed = ++s.failedLogins;
        s.ws.data.log[failed <= LOGGED_FAILED_LOGINS ? "info" : "debug"]("operator login failed", { reason: auth.message, failedLogins: failed });
      }
      s.send(encodeLoginResult(s.w, { type: MessageType.LOGIN_RESULT, seq: s.nextSeq(), requestId: m.requestId, code: auth.ok ? LOGIN_OK : ErrorCode.AUTH_FAILED, account: 0, sessionId: s.id, serverTime: now }));
      if (s.strikes > MAX_STRIKES) s.ws.close(1008, "too many failed logins");
      return;
    }
    if (s.user === "") {
      if (s.loggedIn) return protocolError(s, new ProtocolError(ErrorCode.NOT_PERMITTED, "alerts are for operators and auditors (LOGIN_TOKEN), not API keys", m.type, m.requestId));
      return protocolError(s, new ProtocolError(ErrorCode.NOT_LOGGED_IN, "log in with LOGIN_TOKEN before subscribing to alerts", m.type, m.requestId));
    }
    s.alerts = m.type === MessageType.ALERTS_SUBSCRIBE;
    s.alertsMin = m.type === MessageType.ALERTS_SUBSCRIBE ? m.minSeverity : 0;
    s.send(encodeAlertsSubscribed(s.w, { type: MessageType.ALERTS_SUBSCRIBED, seq: s.nextSeq(), requestId: m.requestId, subscribed: s.alerts, minSeverity: s.alertsMin }));
  }

  function reject(s: Session, requestId: number, type: number, symbol: number, reason: number): void {
    s.send(encodeReject(s.w, { type: MessageType.REJECT, seq: s.nextSeq(), requestId, reason, requestType: type, symbol, orderId: 0, time: 0, clientOrderId: "", text: reasonText(reason) }));
  }

  const publish = (t: string, frame: Uint8Array) => {
    server.publish(t, frame);
  };
  md.hasSubscribers = (t) => server.subscriberCount(t) > 0;
  const off = sequencer.onDelivery(
    readDeliveries((batch) => {
      lastTime = batch.time;
      md.deliver(batch, publish);
      if (portfolio) {
        batch.rewind();
        portfolio.deliver(batch);
      }
    }),
  );

  // Slow consumers: a session whose queued output passes the limit stops receiving market data, is
  // told SLOW_CONSUMER (queued behind what it has not read, so it learns why once it catches up)
  // and is closed with a reason. Checked on a timer, not per publish, so fan-out stays O(1).
  let slowCuts = 0;
  const sweep = setInterval(() => {
    for (const s of sessions) {
      if (s.closing || s.ws.getBufferedAmount() <= slowLimit) continue;
      s.closing = true;
      slowCuts++;
      for (const ch of MarketDataFanout.channels()) for (const id of symbolIds) s.ws.unsubscribe(topic(id, ch));
      s.send(encodeError(s.w, { type: MessageType.ERROR, seq: s.nextSeq(), requestId: 0, code: ErrorCode.SLOW_CONSUMER, reason: 0, messageType: 0, text: `more than ${slowLimit} bytes unread` }));
      s.ws.close(1008, "slow consumer");
      s.ws.data.log.warn("slow consumer cut", { queuedBytes: s.ws.getBufferedAmount(), limitBytes: slowLimit });
    }
  }, 20);

  const secure = opts.tls !== undefined;
  const url = `${secure ? "wss" : "ws"}://${server.hostname}:${server.port}/ws`;
  log.info("websocket door listening", { door: "ws", url, http: `${secure ? "https" : "http"}://${server.hostname}:${server.port}`, paths: `/health, /ready, /instruments, ${opts.metrics ? "/metrics, " : ""}${REST_BASE}` });
  return {
    server,
    url,
    orderEntry: orders,
    marketData: md,
    availability,
    rest,
    closeSessions(code, reason) {
      // Frames held for the current batch go out first: the error answers must precede the close.
      batch.flush();
      for (const s of sessions) s.ws.close(code, reason);
    },
    closeKey(keyId) {
      batch.flush();
      let n = 0;
      for (const s of sessions) {
        if (s.keyId !== keyId) continue;
        s.send(encodeError(s.w, { type: MessageType.ERROR, seq: s.nextSeq(), requestId: 0, code: ErrorCode.KEY_REVOKED, reason: 0, messageType: 0, text: errorText(ErrorCode.KEY_REVOKED) }));
        s.ws.close(1008, "API key revoked");
        n++;
      }
      return n;
    },
    pushAlerts(alerts) {
      let n = 0;
      for (const s of sessions) {
        if (!s.alerts || s.closing) continue;
        // The session lives on its user session: one that has ended (logout, lock, expiry) stops here.
        const auth = opts.operatorAuth?.(s.userToken);
        if (!auth?.ok) {
          s.alerts = false;
          s.send(encodeError(s.w, { type: MessageType.ERROR, seq: s.nextSeq(), requestId: 0, code: ErrorCode.NOT_LOGGED_IN, reason: 0, messageType: 0, text: "your user session has ended: sign in again" }));
          s.ws.close(1008, "user session ended");
          continue;
        }
        for (const a of alerts) {
          if (a.severity < s.alertsMin) continue;
          s.send(encodeAlert(s.w, { type: MessageType.ALERT, seq: s.nextSeq(), rule: a.rule, account: a.account, commandSeq: a.seq, time: a.time, severity: a.severity, text: a.text }));
          n++;
        }
      }
      return n;
    },
    stats() {
      let loggedIn = 0;
      let alerts = 0;
      for (const s of sessions) {
        if (s.loggedIn) loggedIn++;
        if (s.alerts) alerts++;
      }
      const subscribers: Record<string, number> = {};
      for (const ch of MarketDataFanout.channels()) {
        let n = 0;
        for (const id of symbolIds) n += server.subscriberCount(topic(id, ch));
        subscribers[channelName(ch)] = n;
      }
      subscribers.alerts = alerts;
      return { sessions: sessions.size, loggedIn, subscribers, slowConsumerCuts: slowCuts };
    },
    async stop() {
      availability.shuttingDown();
      clearInterval(sweep);
      // Each session's end is settled here, not in a close handler that may run after the engine
      // has stopped: its cancel-on-disconnect cancels are submitted now, so they are journaled
      // before the journal closes (app/exchange.ts, graceful stop). The close handler's detach is then a no-op.
      batch.flush();
      for (const s of sessions) {
        orders.detach(s);
        portfolio?.detach(s);
        s.ws.close(1001, "the exchange is shutting down");
      }
      off();
      unlisten();
      server.stop(true);
    },
  };
}

/** A market data channel's label on /metrics: its Channel name in lower case (l2, candles_1m, market_status). */
function channelName(ch: number): string {
  return (Object.keys(Channel) as (keyof typeof Channel)[]).find((k) => Channel[k] === ch)?.toLowerCase() ?? `channel_${ch}`;
}
