/**
 * The gateway under abuse, over real sockets: thousands of random and mutated frames of every
 * client message type from several connections at once (reconnecting whenever the server closes
 * one), raw TCP garbage, and a logged-in account poking at another account's orders — while a
 * healthy client trades and a market-data subscriber keeps a local book. The logged-in account
 * also trades for real near the market (every order type, TIF and STP mode, amends, cancels, mass
 * cancels), so the books move in every way the engine can move them.
 *
 * What must hold:
 * - each frame on a not-logged-in abusive session gets exactly the answer docs/protocol.md gives
 *   (ERROR with the decoder's code, LOGIN_RESULT, REFERENCE_DATA, REJECT, SUBSCRIBED), in order,
 *   with a gapless session sequence, and the 21st strike closes the session with 1008;
 * - the healthy client gets an ACK for every order and an answer to every cancel, and nothing of
 *   its own is touched by the abuser's account;
 * - the subscriber's book equals the engine's depth whenever it has caught up, and at the end;
 * - /health answers throughout; nothing is logged as thrown; the engine never stops.
 *
 * Bounded: FUZZ_FRAMES frames (default 20000) or FUZZ_MS of abuse (default 8000), whichever first.
 * FUZZ_SEED repeats a run.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { OrderType, TimeInForce } from "../../engine/commands.ts";
import { OrderState } from "../../engine/orders.ts";
import { Reason, reasonName } from "../../engine/reasons.ts";
import { BourseClient, RejectError } from "../../client/client.ts";
import type { LocalBook } from "../../client/local-book.ts";
import { Channel, type ClientMessage, encodeClient, ErrorCode, errorName, FrameWriter, MessageType as T, messageTypeName, type ServerMessage } from "../../protocol/index.ts";
import { demoConfig, engineDepth, failureLines, type Harness, localDepth, RawSocket, rng, secret, sleep, startServer, waitFor } from "./support/harness.ts";
import { abusiveFrame, AnonymousSessionModel, mismatch } from "./support/frames.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_0001);
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 20_000);
const ABUSE_MS = Number(process.env.FUZZ_MS ?? 8000);

// Price bands, trade bands and volatility halts off: the abuser's valid orders may trade anywhere,
// and the healthy client's fixed prices must stay acceptable whatever the last trade was.
const config = demoConfig((c) => {
  for (const i of c.exchange.instruments) {
    i.priceBandBps = 0;
    i.tradeBandBps = 0;
    i.volatilityBps = 0;
  }
});

let h: Harness;
const thrown: string[] = [];
const onUncaught = (e: unknown) => thrown.push(`uncaught: ${(e as Error)?.stack ?? e}`);
const onRejection = (e: unknown) => thrown.push(`unhandled rejection: ${(e as Error)?.stack ?? e}`);

beforeAll(async () => {
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onRejection);
  h = await startServer(config);
});
afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onRejection);
  await h.close();
});

interface Stats {
  frames: number;
  byMutation: Record<string, number>;
  connections: number;
  closes: Record<string, number>;
  oracleAnswers: number;
  problems: string[];
}

test(
  "thousands of abusive frames and connections do not disturb a trading client, a subscriber or /health",
  async () => {
    const md = h.gateway.marketData;
    const stats: Stats = { frames: 0, byMutation: {}, connections: 0, closes: {}, oracleAnswers: 0, problems: [] };
    const problem = (s: string) => {
      if (stats.problems.length < 50) stats.problems.push(s);
    };
    const start = performance.now();
    const abuseOver = () => stats.frames >= FRAMES || performance.now() - start > ABUSE_MS;

    // ---------------------------------------------------------------- the well-behaved side
    const alice = await BourseClient.connect(h.url);
    await alice.login("alice-demo", secret("alice"));
    const bob = await BourseClient.connect(h.url);
    await bob.login("bob-demo", secret("bob"));
    const viewer = await BourseClient.connect(h.url);
    await viewer.referenceData();
    const books = new Map<number, LocalBook>();
    for (const sym of [1, 2]) {
      const it = viewer.book(sym);
      books.set(sym, (await it.next()).value as LocalBook);
    }

    // The subscriber's book must equal the engine's whenever it has every published update and
    // the engine has nothing executed but not yet durable (group commit is pipelined: the engine
    // may run a few batches ahead of what has been delivered).
    let bookChecks = 0;
    const bookMismatches: string[] = [];
    const checkBooks = () => {
      if (h.runtime.pendingBatches !== 0) return;
      for (const [sym, book] of books) {
        if (!book.ready || book.seq !== md.current(sym, Channel.L2)) continue;
        bookChecks++;
        const want = JSON.stringify(engineDepth(h.runtime, sym));
        const got = JSON.stringify(localDepth(book));
        if (want !== got && bookMismatches.length < 5) bookMismatches.push(`symbol ${sym} at L2 seq ${book.seq}: local ${got.slice(0, 300)} vs engine ${want.slice(0, 300)}`);
      }
    };
    const bookTimer = setInterval(checkBooks, 25);

    // /health keeps answering.
    let healthOk = 0;
    const healthBad: string[] = [];
    const healthLoop = (async () => {
      while (!abuseOver()) {
        try {
          const r = await fetch(`${h.http}/health`);
          const body = (await r.json()) as { status: string };
          if (r.status === 200 && body.status === "ok") healthOk++;
          else healthBad.push(`${r.status} ${JSON.stringify(body)}`);
        } catch (e) {
          healthBad.push(String(e));
        }
        await sleep(100);
      }
    })();

    // Alice's own reports: fills only. Nobody else may cancel or amend her orders.
    const aliceForeign: string[] = [];
    void (async () => {
      for await (const r of alice.reports()) {
        if (r.type === T.CANCELLED || r.type === T.AMENDED) aliceForeign.push(JSON.stringify(r));
      }
    })();

    const aliceOpen: number[] = [];
    let acks = 0;
    let placed = 0;
    let cancels = 0;
    let bobAcks = 0;
    const healthyFailures: string[] = [];
    const tr = rng(SEED ^ 0xa11ce);
    const tradeLoop = (async () => {
      for (let i = 0; !abuseOver(); i++) {
        if (aliceOpen.length < 15 || tr.chance(0.55)) {
          const buy = tr.chance(0.5);
          const price = buy ? 29_500 + tr.int(800) * 0.5 : 30_100 + tr.int(800) * 0.5;
          placed++;
          try {
            const a = await alice.placeOrder({ symbol: "BTC-USD", side: buy ? "buy" : "sell", price: String(price), qty: String((1 + tr.int(10)) / 1000), clientOrderId: `a-${i}` });
            if (a.type !== T.ACK) healthyFailures.push(`order ${i}: answered ${a.type}, not ACK`);
            else {
              acks++;
              aliceOpen.push(a.orderId);
            }
          } catch (e) {
            healthyFailures.push(`order ${i}: ${(e as Error).message}`);
          }
        } else {
          const id = aliceOpen.splice(tr.int(aliceOpen.length), 1)[0]!;
          try {
            const c = await alice.cancel("BTC-USD", { orderId: id });
            if (c.type !== T.CANCELLED || c.reason !== Reason.USER_CANCEL) healthyFailures.push(`cancel ${id}: ${JSON.stringify(c)}`);
            else cancels++;
          } catch (e) {
            // Only an order that traded away may be gone.
            const s = e instanceof RejectError ? await alice.orderStatus("BTC-USD", { orderId: id }).catch((x) => x) : e;
            if ((s as { state?: number }).state !== OrderState.FILLED) healthyFailures.push(`cancel ${id}: ${(e as Error).message}; status ${JSON.stringify(s)}`);
            else cancels++;
          }
        }
        if (i % 4 === 3) {
          // Bob takes liquidity, so the book also changes by trades.
          const buy = tr.chance(0.5);
          try {
            const a = await bob.placeOrder({ symbol: "BTC-USD", side: buy ? "buy" : "sell", price: buy ? "30200" : "29800", qty: "0.004", tif: "IOC" });
            if (a.type === T.ACK) bobAcks++;
            else healthyFailures.push(`bob: answered ${a.type}`);
          } catch (e) {
            healthyFailures.push(`bob: ${(e as Error).message}`);
          }
        }
      }
    })();

    // ---------------------------------------------------------------- anonymous abusers (oracle)
    const anonymous = async (id: number) => {
      const r = rng(SEED + id);
      const w = new FrameWriter(1024);
      while (!abuseOver()) {
        let sock: RawSocket;
        try {
          sock = await RawSocket.open(h.url);
        } catch (e) {
          problem(`abuser ${id}: cannot connect: ${e}`);
          await sleep(20);
          continue;
        }
        stats.connections++;
        const model = new AnonymousSessionModel();
        while (!model.ended && sock.open && !abuseOver()) {
          const batch = 1 + r.int(40);
          for (let k = 0; k < batch && !model.ended && !abuseOver(); k++) {
            const { frame, mutation } = abusiveFrame(r, w);
            model.frame(frame, Math.floor(Date.now() * 1000));
            if (!sock.send(frame)) break;
            stats.frames++;
            stats.byMutation[mutation] = (stats.byMutation[mutation] ?? 0) + 1;
          }
          const want = model.expected.filter((e) => e.kind !== "gone").length;
          const settled = await waitFor(() => sock.closed !== null || (!model.ended && sock.session.length - 1 >= want), 5000, 2);
          if (!settled) {
            problem(`abuser ${id}: the server did not answer ${want - (sock.session.length - 1)} frames within 5 s (model ended: ${model.ended || "no"})`);
            break;
          }
        }
        if (!model.ended) sock.close();
        else if (!(await waitFor(() => sock.closed !== null, 3000))) {
          problem(`abuser ${id}: the model ended the session (${model.ended}) but the server kept it open`);
          sock.close();
        }
        await sock.whenClosed;
        // Every frame the server read got its documented answer, in order.
        const answers = sock.session.slice(1);
        const expected = model.expected.filter((e) => e.kind !== "gone");
        if (answers.length !== expected.length) problem(`abuser ${id}: ${answers.length} answers to ${expected.length} answerable frames (close ${JSON.stringify(sock.closed)})`);
        for (let i = 0; i < Math.min(answers.length, expected.length); i++) {
          const why = mismatch(expected[i]!, answers[i]);
          if (why) {
            problem(`abuser ${id}, answer ${i}: ${why}`);
            break;
          }
        }
        stats.oracleAnswers += answers.length;
        const snapshots = sock.received.filter((m) => m.type === T.L2_SNAPSHOT).length;
        const wantSnapshots = expected.filter((e) => e.kind === "subscribed" && e.l2Snapshot).length;
        if (snapshots !== wantSnapshots) problem(`abuser ${id}: ${snapshots} L2 snapshots for ${wantSnapshots} L2 subscribes`);
        for (const p of sock.problems) problem(`abuser ${id}: ${p}`);
        const c = sock.closed!;
        const key = `${c.code} ${c.reason.replace(/\(.*\)/, "(…)")}`;
        stats.closes[key] = (stats.closes[key] ?? 0) + 1;
        if (model.ended === "strikes" && !(c.code === 1008 && /^too many (invalid frames|failed logins)/.test(c.reason))) problem(`abuser ${id}: 21 strikes, but closed with ${c.code} ${c.reason}`);
        if (model.ended === "giant" && c.code !== 1009) problem(`abuser ${id}: a frame over 64 KiB, but closed with ${c.code} ${c.reason}`);
        if (!model.ended && c.code !== 1000) problem(`abuser ${id}: closed with ${c.code} ${c.reason} for no reason the model knows`);
      }
    };

    // ---------------------------------------------------------------- a logged-in abuser
    // Carol mutates frames like the others, and also aims valid CANCEL / AMEND / ORDER_STATUS
    // requests at Alice's live orders (by order id and by Alice's client order ids).
    const targetedAnswers: string[] = [];
    const carolOrders: [orderId: number, symbol: number][] = [];
    const ownOrder = (r: ReturnType<typeof rng>, requestId: number): ClientMessage => {
      const symbol = r.chance(0.7) ? 1 : 2;
      const ref = symbol === 1 ? 60_000 : 40_000;
      const near = () => ref + Math.round((r.next() - 0.5) * ref * 0.02);
      const x = r.next();
      if (x < 0.55 || carolOrders.length === 0) {
        const orderType = r.pick([OrderType.LIMIT, OrderType.LIMIT, OrderType.LIMIT, OrderType.MARKET, OrderType.STOP, OrderType.STOP_LIMIT]);
        const tif = orderType === OrderType.MARKET ? r.pick([TimeInForce.IOC, TimeInForce.FOK]) : r.pick([TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.DAY, TimeInForce.GTD]);
        const stop = orderType === OrderType.STOP || orderType === OrderType.STOP_LIMIT;
        return {
          type: T.NEW_ORDER,
          requestId,
          symbol,
          side: r.int(2),
          orderType,
          tif,
          stp: r.int(5),
          flags: r.chance(0.15) ? 1 : 0,
          price: orderType === OrderType.MARKET || orderType === OrderType.STOP ? (r.chance(0.5) ? 0 : near()) : near(),
          stopPrice: stop ? near() : 0,
          qty: 1 + r.int(30),
          expireTime: tif === TimeInForce.GTD ? Math.floor(Date.now() * 1000) + 1 + r.int(3_000_000) : 0,
          clientOrderId: r.chance(0.3) ? `c-${r.int(100)}` : "", // repeats: duplicates answered with ORDER_STATUS
        };
      }
      const [orderId, its] = r.pick(carolOrders);
      const ref2 = its === 1 ? 60_000 : 40_000;
      if (x < 0.75) return { type: T.AMEND, requestId, symbol: its, orderId, price: ref2 + Math.round((r.next() - 0.5) * ref2 * 0.02), stopPrice: 0, qty: 1 + r.int(40), clientOrderId: "" };
      if (x < 0.95) return { type: T.CANCEL, requestId, symbol: its, orderId, clientOrderId: "" };
      return { type: T.MASS_CANCEL, requestId, symbol: r.pick([-1, 1, 2]) };
    };
    const carolAnswers: Record<string, number> = {};
    let targeted = 0;
    const loggedIn = async () => {
      const r = rng(SEED + 99);
      const w = new FrameWriter(1024);
      let nextTarget = 0xf000_0000;
      let nextOwn = 0xe000_0000;
      while (!abuseOver()) {
        const sock = await RawSocket.open(h.url);
        stats.connections++;
        const login = await sock.login("carol");
        if (login.code !== 0) {
          problem(`carol: login refused ${login.code}`);
          return;
        }
        const mine = new Set<number>();
        sock.onMessage = (m: ServerMessage) => {
          const rid = (m as { requestId?: number }).requestId ?? 0;
          if (mine.has(rid)) {
            mine.delete(rid);
            if (m.type !== T.REJECT || m.reason !== Reason.UNKNOWN_ORDER) targetedAnswers.push(JSON.stringify(m));
          }
          const key = m.type === T.REJECT ? `REJECT ${reasonName(m.reason)}` : m.type === T.ERROR ? `ERROR ${errorName(m.code)}` : messageTypeName(m.type);
          carolAnswers[key] = (carolAnswers[key] ?? 0) + 1;
          if (m.type === T.ERROR && m.code === ErrorCode.UNAVAILABLE) problem(`carol: the server failed handling a frame: ${JSON.stringify(m)}`);
          if (m.type === T.ACK) {
            carolOrders.push([m.orderId, m.symbol]);
            if (carolOrders.length > 200) carolOrders.shift();
          }
        };
        while (sock.open && !abuseOver()) {
          for (let k = 0; k < 30 && sock.open && !abuseOver(); k++) {
            if (aliceOpen.length > 0 && r.chance(0.25)) {
              const orderId = r.pick(aliceOpen);
              const requestId = nextTarget++;
              const kind = r.int(4);
              const m =
                kind === 0
                  ? { type: T.CANCEL, requestId, symbol: 1, orderId, clientOrderId: "" }
                  : kind === 1
                    ? { type: T.AMEND, requestId, symbol: 1, orderId, price: 59_000, stopPrice: 0, qty: 1, clientOrderId: "" }
                    : kind === 2
                      ? { type: T.ORDER_STATUS_REQUEST, requestId, symbol: 1, orderId, clientOrderId: "" }
                      : { type: T.CANCEL, requestId, symbol: 1, orderId: 0, clientOrderId: `a-${r.int(200)}` };
              mine.add(requestId);
              targeted++;
              sock.send(w.bytes.slice(0, encodeClient(w, m as Parameters<typeof encodeClient>[1])));
            } else if (r.chance(0.3)) {
              // Valid trading of her own, near the market: every order type, STP mode and TIF.
              sock.send(w.bytes.slice(0, encodeClient(w, ownOrder(r, nextOwn++))));
              stats.byMutation["own order"] = (stats.byMutation["own order"] ?? 0) + 1;
            } else {
              const { frame, mutation } = abusiveFrame(r, w, { orderIds: aliceOpen, allowGiant: false });
              if (!sock.send(frame)) break;
              stats.byMutation[mutation] = (stats.byMutation[mutation] ?? 0) + 1;
            }
            stats.frames++;
          }
          await sleep(1);
        }
        sock.close();
        await sock.whenClosed;
        for (const p of sock.problems) problem(`carol: ${p}`);
      }
    };

    // ---------------------------------------------------------------- raw TCP garbage
    let tcpConnections = 0;
    const rawTcp = async () => {
      const r = rng(SEED + 7);
      const port = h.gateway.server.port!;
      const handshake = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
      while (!abuseOver() && tcpConnections < 60) {
        let ended = false;
        const sock = await Bun.connect({
          hostname: "127.0.0.1",
          port,
          socket: { data() {}, end() { ended = true; }, close() { ended = true; }, error() { ended = true; } },
        });
        tcpConnections++;
        const junk = new Uint8Array(1 + r.int(300));
        for (let i = 0; i < junk.length; i++) junk[i] = r.int(256);
        if (r.chance(0.5)) sock.write(junk); // not HTTP at all
        else {
          sock.write(handshake);
          await sleep(5);
          sock.write(junk); // not WebSocket framing (unmasked, bad opcodes, absurd lengths)
        }
        await waitFor(() => ended, 150);
        if (!ended) sock.end();
        await sleep(10);
      }
    };

    await Promise.all([anonymous(1), anonymous(2), anonymous(3), loggedIn(), rawTcp()]);
    await tradeLoop;
    await healthLoop;

    // Let the last market data arrive, then compare the books one final time.
    for (const sym of [1, 2]) await waitFor(() => books.get(sym)!.seq === md.current(sym, Channel.L2), 5000);
    clearInterval(bookTimer);
    checkBooks();
    const finalHealth = await fetch(`${h.http}/health`).then((r) => r.json() as Promise<{ status: string }>);

    const summary = {
      seed: SEED,
      ms: Math.round(performance.now() - start),
      ...stats,
      tcpConnections,
      targeted,
      carolAnswers,
      alice: { placed, acks, cancels, open: aliceOpen.length },
      bobAcks,
      bookChecks,
      healthOk,
    };
    console.log(`fuzz-server: ${JSON.stringify(summary)}`);

    expect(stats.problems).toEqual([]);
    expect(healthyFailures).toEqual([]);
    expect(acks).toBe(placed);
    expect(aliceForeign).toEqual([]);
    expect(targetedAnswers).toEqual([]);
    expect(bookMismatches).toEqual([]);
    expect(healthBad).toEqual([]);
    expect(finalHealth.status).toBe("ok");
    expect(h.runtime.stopped).toBe(false);
    expect(failureLines(h.logs)).toEqual([]);
    expect(thrown).toEqual([]);
    // The run did what it says: enough frames, many reconnections, every kind of mutation.
    expect(stats.frames).toBeGreaterThanOrEqual(Math.min(FRAMES, 2000));
    expect(stats.connections).toBeGreaterThan(20);
    expect(Object.keys(stats.byMutation).length).toBeGreaterThanOrEqual(11);
    expect(acks).toBeGreaterThan(50);
    expect(bookChecks).toBeGreaterThan(10);
    expect(healthOk).toBeGreaterThan(5);
    // Healthy sessions saw no sequence gaps, and the subscriber never had to resync.
    expect([alice.gaps, bob.gaps, viewer.gaps]).toEqual([0, 0, 0]);
    expect([...books.values()].map((b) => b.resyncs)).toEqual([0, 0]);
    for (const c of [alice, bob, viewer]) c.close();
  },
  { timeout: 20_000 },
);

// Found by the fuzz (Carol's answers included REJECT DUPLICATE_ORDER_ID). docs/accounts.md: an order
// the book rejects "was PENDING and does" hold its client order id. docs/protocol.md: a NEW_ORDER
// repeating the id of an open or recent order creates nothing and "the answer is that order's
// ORDER_STATUS". But a book reject emits no ACCEPTED event, so the gateway's bookkeeping never
// learns the order: the repeat is answered REJECT DUPLICATE_ORDER_ID ("order id already in use"),
// and ORDER_STATUS_REQUEST for the same id says UNKNOWN_ORDER.
test("a repeat of a book-rejected order's client order id gets that order's ORDER_STATUS [fails: REJECT DUPLICATE_ORDER_ID]", async () => {
  const carol = await BourseClient.connect(h.url);
  await carol.login("carol-demo", secret("carol"));
  const bob = await BourseClient.connect(h.url);
  await bob.login("bob-demo", secret("bob"));
  await carol.placeOrder({ symbol: "BTC-USD", side: "sell", price: "31000", qty: "0.01" });
  const ask = String(h.runtime.exchange.book.bestAsk(1) / 2); // ticks of 0.5
  // Post-only at the best ask would take: the book rejects it after risk accepted it.
  const first = await bob.placeOrder({ symbol: "BTC-USD", side: "buy", price: ask, qty: "0.001", postOnly: true, clientOrderId: "fuzz-found-1" }).catch((e: RejectError) => e);
  expect(first).toBeInstanceOf(RejectError);
  expect((first as RejectError).reasonName).toBe("POST_ONLY_WOULD_TAKE");
  const again = await bob.placeOrder({ symbol: "BTC-USD", side: "buy", price: "29000", qty: "0.001", clientOrderId: "fuzz-found-1" }).catch((e: Error) => e.message);
  const status = await bob.orderStatus("BTC-USD", { clientOrderId: "fuzz-found-1" }).catch((e: Error) => e.message);
  for (const c of [carol, bob]) c.close();
  expect({ again, status }).toMatchObject({
    again: { type: T.ORDER_STATUS, state: OrderState.REJECTED, clientOrderId: "fuzz-found-1" },
    status: { type: T.ORDER_STATUS, state: OrderState.REJECTED, clientOrderId: "fuzz-found-1" },
  });
});
