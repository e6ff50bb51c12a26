/**
 * Alerts pushed on the WebSocket door: an operator logs in with their session's bearer token
 * (LOGIN_TOKEN), subscribes, and receives the ALERT the history writer raises from a scripted
 * burst of refused orders; bad, ended and expired tokens, a trader's token, a key's session and an
 * anonymous one are refused with the documented codes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { BourseExchange } from "../../app/exchange.ts";
import { Rule } from "../../history/monitoring/alerts.ts";
import { BourseClient, ProtocolFailure } from "../../client/client.ts";
import { ALERT_RULES, type ClientMessage, decodeServer, encodeClient, ErrorCode, FrameWriter, isProtocolError, LOGIN_OK, MessageType as T, type ServerMessage, signLogin } from "../../protocol/index.ts";
import { type AlertsExchange, startAlertsExchange } from "./support/alerts-exchange.ts";
import { secret } from "./support/harness.ts";

let ax: AlertsExchange;
let ex: BourseExchange;
let tokens: Record<string, string>;

beforeAll(async () => {
  ax = await startAlertsExchange("bourse-ws-alerts-");
  ex = ax.ex;
  tokens = ax.tokens;
  // One started two days ago has expired.
  tokens.expired = ax.session("olga", Date.now() - 2 * 86_400_000);
});
afterAll(() => ax.stop());

/** A raw connection: frames decoded in arrival order, awaited one by one. */
class Conn {
  private readonly frames: ServerMessage[] = [];
  private wake: (() => void) | null = null;
  private readonly w = new FrameWriter(256);
  nonce: Uint8Array = new Uint8Array(0);
  closed: Promise<number>;
  private constructor(readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => {
      const m = decodeServer(new Uint8Array(e.data as ArrayBuffer));
      if (isProtocolError(m)) throw new Error(`undecodable frame: ${m.message}`);
      this.frames.push(m);
      this.wake?.();
    };
    this.closed = new Promise((r) => ws.addEventListener("close", (e) => r(e.code)));
  }
  static async open(): Promise<Conn> {
    const ws = new WebSocket(ex.gateway!.url);
    const c = new Conn(ws);
    await new Promise((r, j) => ((ws.onopen = r), (ws.onerror = j)));
    const hello = await c.next();
    if (hello.type !== T.HELLO) throw new Error(`expected HELLO, got ${hello.type}`);
    c.nonce = hello.nonce;
    return c;
  }
  send(m: ClientMessage): void {
    this.ws.send(this.w.frame(encodeClient(this.w, m)));
  }
  /** The next frame that is not market data. */
  async next(): Promise<ServerMessage> {
    for (;;) {
      const m = this.frames.shift();
      if (m) return m;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
  async ask(m: ClientMessage): Promise<ServerMessage> {
    this.send(m);
    return this.next();
  }
}

const alice = (method: string, path: string, body?: unknown) => ax.keyCall("alice", method, path, body);

test("an operator session receives the alert the history writer raises, and only after subscribing", async () => {
  const olga = await Conn.open();
  expect(await olga.ask({ type: T.LOGIN_TOKEN, requestId: 1, token: tokens.olga! })).toMatchObject({ type: T.LOGIN_RESULT, requestId: 1, code: LOGIN_OK, account: 0 });
  expect(await olga.ask({ type: T.ALERTS_SUBSCRIBE, requestId: 2, minSeverity: 0 })).toMatchObject({ type: T.ALERTS_SUBSCRIBED, requestId: 2, subscribed: true, minSeverity: 0 });
  // The auditor asks for high severity only: a burst (medium) is not for them.
  const ann = await Conn.open();
  expect(await ann.ask({ type: T.LOGIN_TOKEN, requestId: 1, token: tokens.ann! })).toMatchObject({ type: T.LOGIN_RESULT, code: LOGIN_OK });
  expect(await ann.ask({ type: T.ALERTS_SUBSCRIBE, requestId: 2, minSeverity: 3 })).toMatchObject({ type: T.ALERTS_SUBSCRIBED, subscribed: true, minSeverity: 3 });
  // An operator session does not trade.
  expect(await olga.ask({ type: T.MASS_CANCEL, requestId: 3, symbol: -1 })).toMatchObject({ type: T.ERROR, requestId: 3, code: ErrorCode.NOT_PERMITTED });

  for (let i = 0; i < 3; i++) expect((await alice("POST", "/orders", { symbol: "BTC-USD", side: "buy", price: "30000", qty: "500", clientOrderId: `big-${i}` })).status).toBeGreaterThanOrEqual(400);
  const alert = await olga.next();
  expect(alert).toMatchObject({ type: T.ALERT, rule: Rule.REJECT_BURST, account: 1, severity: 2 });
  if (alert.type !== T.ALERT) throw new Error("unreachable");
  expect(alert.text).toContain("3 rejects and cancels");
  // The same alert is in the store, under the id the frame gives.
  const listed = await ex.history!.alert({ seq: alert.commandSeq, rule: alert.rule, account: alert.account });
  expect(listed?.text).toBe(alert.text);

  expect(await olga.ask({ type: T.ALERTS_UNSUBSCRIBE, requestId: 4 })).toMatchObject({ type: T.ALERTS_SUBSCRIBED, requestId: 4, subscribed: false });
  // The auditor got nothing before its next answer: the medium alert was filtered out.
  expect(await ann.ask({ type: T.ALERTS_UNSUBSCRIBE, requestId: 3 })).toMatchObject({ type: T.ALERTS_SUBSCRIBED, requestId: 3, subscribed: false });
  olga.ws.close();
  ann.ws.close();
});

test("LOGIN_TOKEN: a bad, expired or ended token is AUTH_FAILED; a trader is told to use an API key", async () => {
  const c = await Conn.open();
  expect(await c.ask({ type: T.LOGIN_TOKEN, requestId: 1, token: "x".repeat(43) })).toMatchObject({ type: T.LOGIN_RESULT, requestId: 1, code: ErrorCode.AUTH_FAILED, account: 0 });
  expect(await c.ask({ type: T.LOGIN_TOKEN, requestId: 2, token: tokens.expired! })).toMatchObject({ type: T.LOGIN_RESULT, requestId: 2, code: ErrorCode.AUTH_FAILED });
  const trader = await c.ask({ type: T.LOGIN_TOKEN, requestId: 3, token: tokens.tom! });
  expect(trader).toMatchObject({ type: T.ERROR, requestId: 3, code: ErrorCode.NOT_PERMITTED, messageType: T.LOGIN_TOKEN });
  if (trader.type !== T.ERROR) throw new Error("unreachable");
  expect(trader.text).toContain("API key");
  // Not logged in: no alerts.
  expect(await c.ask({ type: T.ALERTS_SUBSCRIBE, requestId: 4, minSeverity: 0 })).toMatchObject({ type: T.ERROR, requestId: 4, code: ErrorCode.NOT_LOGGED_IN });
  // A session ended (logout) no longer logs in.
  const id = ex.identity!;
  const user = id.directory.identity.users.get("ann")!;
  const ended = id.sessions.create({ userId: user.id, user: "ann", address: "127.0.0.1", agent: "test", nowMs: Date.now() });
  id.sessions.revoke(user.id, ended.session.id, "logout");
  expect(await c.ask({ type: T.LOGIN_TOKEN, requestId: 5, token: ended.token })).toMatchObject({ type: T.LOGIN_RESULT, requestId: 5, code: ErrorCode.AUTH_FAILED });
  c.ws.close();
});

test("an API key's session may not subscribe to alerts; a logged-in session may not log in again with a token", async () => {
  const key = await Conn.open();
  const timestamp = Math.floor(Date.now() * 1000);
  const signature = signLogin(secret("bob"), key.nonce, timestamp, 0, "bob-demo");
  expect(await key.ask({ type: T.LOGIN, requestId: 1, timestamp, flags: 0, signature, apiKeyId: "bob-demo" })).toMatchObject({ type: T.LOGIN_RESULT, code: LOGIN_OK, account: 2 });
  expect((await key.next()).type).toBe(T.REFERENCE_DATA);
  expect(await key.ask({ type: T.ALERTS_SUBSCRIBE, requestId: 2, minSeverity: 0 })).toMatchObject({ type: T.ERROR, requestId: 2, code: ErrorCode.NOT_PERMITTED });
  expect(await key.ask({ type: T.LOGIN_TOKEN, requestId: 3, token: tokens.olga! })).toMatchObject({ type: T.ERROR, requestId: 3, code: ErrorCode.ALREADY_LOGGED_IN });
  key.ws.close();
  const op = await Conn.open();
  expect(await op.ask({ type: T.LOGIN_TOKEN, requestId: 1, token: tokens.olga! })).toMatchObject({ type: T.LOGIN_RESULT, code: LOGIN_OK });
  expect(await op.ask({ type: T.LOGIN_TOKEN, requestId: 2, token: tokens.olga! })).toMatchObject({ type: T.ERROR, requestId: 2, code: ErrorCode.ALREADY_LOGGED_IN });
  op.ws.close();
});

test("a subscribed operator whose user session ends is told and disconnected at the next alert", async () => {
  const id = ex.identity!;
  const user = id.directory.identity.users.get("olga")!;
  const s = id.sessions.create({ userId: user.id, user: "olga", address: "127.0.0.1", agent: "test", nowMs: Date.now() });
  const c = await Conn.open();
  expect(await c.ask({ type: T.LOGIN_TOKEN, requestId: 1, token: s.token })).toMatchObject({ code: LOGIN_OK });
  expect(await c.ask({ type: T.ALERTS_SUBSCRIBE, requestId: 2, minSeverity: 0 })).toMatchObject({ subscribed: true });
  id.sessions.revoke(user.id, s.session.id, "logout");
  expect(ex.gateway!.pushAlerts([{ seq: 1, rule: Rule.LARGE_ORDER, account: 1, time: 1, severity: 2, text: "t", detail: "{}" }])).toBe(0);
  expect(await c.next()).toMatchObject({ type: T.ERROR, code: ErrorCode.NOT_LOGGED_IN });
  expect(await c.closed).toBe(1008);
});

test("the SDK: loginToken, then alerts() yields each alert with its rule's name and REST id", async () => {
  const c = await BourseClient.connect(ex.gateway!.url);
  try {
    await expect(c.loginToken(tokens.tom!)).rejects.toBeInstanceOf(ProtocolFailure);
    await c.loginToken(tokens.olga!);
    const alerts = c.alerts({ minSeverity: "medium" });
    const first = alerts.next();
    // bob's refused orders: a burst of his own (alice's tripped the rule earlier, and it keeps quiet for her).
    const bob = (method: string, path: string, body: unknown) => ax.keyCall("bob", method, path, body);
    for (let i = 0; i < 3; i++) expect((await bob("POST", "/orders", { symbol: "BTC-USD", side: "buy", price: "30000", qty: "500", clientOrderId: `sdk-big-${i}` })).status).toBeGreaterThanOrEqual(400);
    const a = (await first).value!;
    expect(a).toMatchObject({ rule: "REJECT_BURST", ruleId: Rule.REJECT_BURST, account: 2, severity: "medium" });
    expect(a.id).toBe(`${a.commandSeq}.${Rule.REJECT_BURST}.2`);
    expect((await ex.history!.alert({ seq: a.commandSeq, rule: a.ruleId, account: 2 }))?.text).toBe(a.text);
    await alerts.return(undefined);
  } finally {
    c.close();
  }
});

test("the wire's rule names are the history store's", () => {
  expect(Object.fromEntries(Object.entries(ALERT_RULES).map(([n, name]) => [name, Number(n)]))).toEqual({ ...Rule });
});
