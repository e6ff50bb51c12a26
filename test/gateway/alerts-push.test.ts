/**
 * Alerts pushed on the WebSocket door: an operator logs in with their session's bearer token
 * (LOGIN_TOKEN), subscribes, and receives the ALERT the history writer raises from a scripted
 * burst of refused orders; bad, ended and expired tokens, a trader's token, a key's session and an
 * anonymous one are refused with the documented codes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../app/exchange.ts";
import { memoryLogger } from "../../log/memory.ts";
import { Rule } from "../../history/monitoring/alerts.ts";
import { BourseClient, ProtocolFailure } from "../../client/client.ts";
import { ALERT_RULES, type ClientMessage, decodeServer, encodeClient, ErrorCode, FrameWriter, isProtocolError, LOGIN_OK, MessageType as T, type ServerMessage, signLogin } from "../../protocol/index.ts";
import { demoConfig, secret } from "./support/harness.ts";
import { signedRequest } from "./support/rest.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-ws-alerts-"));
let ex: BourseExchange;
let http: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const config = demoConfig((c) => {
    c.users = [
      { name: "olga", role: "operator", password: "olga-demo-password" },
      { name: "ann", role: "auditor", password: "ann-demo-password" },
      { name: "tom", role: "trader", accounts: [1], password: "tom-demo-password" },
    ];
    c.identity = { passwordHashing: { memoryCost: 1024, timeCost: 1, concurrency: 2 } };
    c.exchange.tiers = c.exchange.tiers.map((t) => (t.id === 1 ? { ...t, monitoring: { rejectCount: 3 } } : t));
  });
  ex = await new BourseExchange({ dataDir: dir, config, workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: memoryLogger().log }).start();
  http = `http://127.0.0.1:${ex.gateway!.server.port}`;
  // Sessions as sign-in starts them (password + TOTP is identity-flow.test.ts's subject); one started two days ago has expired.
  const id = ex.identity!;
  const start = (name: string, nowMs = Date.now()) => id.sessions.create({ userId: id.directory.identity.users.get(name)!.id, user: name, address: "127.0.0.1", agent: "test", nowMs }).token;
  for (const name of ["olga", "ann", "tom"]) tokens[name] = start(name);
  tokens.expired = start("olga", Date.now() - 2 * 86_400_000);
});
afterAll(async () => {
  await ex.stop();
  rmSync(dir, { recursive: true, force: true });
});

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

function alice(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(signedRequest(http, { keyId: "alice-demo", secret: secret("alice"), method, path: `/api/v1${path}`, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }));
}

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
    const bob = (method: string, path: string, body: unknown) => fetch(signedRequest(http, { keyId: "bob-demo", secret: secret("bob"), method, path: `/api/v1${path}`, body: JSON.stringify(body) }));
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
