/**
 * What a halt does to orders, on both doors (README "Trading over FIX 4.4"): resting-type orders
 * (GTC, DAY or GTD limits, and stops) are accepted and queued, anything that must trade at once
 * (market, IOC, FOK) is rejected with SYMBOL_HALTED (FIX OrdRejReason 2), and the queued orders
 * join the book, and trade, when the symbol resumes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CommandType, makeCommand } from "../../engine/commands.ts";
import { BourseClient, RejectError } from "../../client/client.ts";
import { FixInitiator } from "../../gateway/fix/initiator.ts";
import type { Field } from "../../gateway/fix/message.ts";
import { demoConfig, type Harness, secret, startServer } from "./support/harness.ts";

const ETH = 2;
let h: Harness;

beforeAll(async () => {
  h = await startServer(demoConfig());
});
afterAll(async () => {
  await h.close();
});

/** Submits an operator command straight to the sequencer and waits until it is delivered. */
async function operator(type: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const off = h.runtime.onDelivery(() => {
      off();
      resolve();
    });
    h.runtime.submit(makeCommand({ type, symbol: ETH }));
  });
}

function nos(clOrdId: string, side: string, type: string, tif: string, price?: string): Field[] {
  const f: Field[] = [[35, "D"], [11, clOrdId], [55, "ETH-USD"], [54, side], [60, "20261207-00:00:00.000"], [38, "1"], [40, type], [59, tif]];
  if (price !== undefined) f.push([44, price]);
  return f;
}

describe("a halted symbol", () => {
  test("queues GTC limits and refuses IOC and market orders on the WebSocket and FIX doors, then trades the queue on resume", async () => {
    const ws = await BourseClient.connect(h.url);
    await ws.login("alice-demo", secret("alice"));
    const fix = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "HALT-BOB" });
    await fix.logon("bob-demo", secret("bob"), [[141, "Y"]]);

    await operator(CommandType.HALT);

    // WebSocket: a GTC limit is acknowledged (queued); an IOC limit is refused.
    const ack = await ws.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2000", qty: "1", clientOrderId: "halt-gtc" });
    expect(ack.orderId).toBeGreaterThan(0);
    const ioc = await ws.placeOrder({ symbol: "ETH-USD", side: "buy", price: "2000", qty: "1", tif: "IOC", clientOrderId: "halt-ioc" }).catch((e) => e);
    expect(ioc).toBeInstanceOf(RejectError);
    expect((ioc as RejectError).reasonName).toBe("SYMBOL_HALTED");

    // FIX: a GTC limit sell is acknowledged (ExecType 0); a market order is rejected with OrdRejReason 2.
    fix.send(nos("halt-fix-gtc", "2", "2", "1", "2000"));
    const fixAck = await fix.next("8");
    expect(fixAck.get(150)).toBe("0");
    expect(fixAck.get(11)).toBe("halt-fix-gtc");
    fix.send(nos("halt-fix-mkt", "2", "1", "3"));
    const fixRej = await fix.next("8");
    expect(fixRej.get(150)).toBe("8");
    expect(fixRej.get(103)).toBe("2");

    // Nothing traded while halted: the queued buy and sell meet only when the symbol resumes.
    const fill = fix.next("8");
    await operator(CommandType.RESUME);
    const trade = await fill;
    expect(trade.get(11)).toBe("halt-fix-gtc");
    expect(trade.get(150)).toBe("F");
    expect(trade.get(31)).toBe("2000.00");

    await fix.logout();
    ws.close();
  });
});
