/**
 * The FIX acceptor under abuse, over real TCP: hundreds of connections send garbage, mutated and
 * truncated messages in random chunks, and logged-on sessions send well-framed application messages
 * with random tags and values. Meanwhile a healthy session keeps trading and answering test
 * requests. Nothing may throw on the server, the healthy session must never miss an answer, and
 * the acceptor must still take new logons at the end.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { encodeFix } from "../../../gateway/fix/codec.ts";
import { FixInitiator } from "../../../gateway/fix/initiator.ts";
import type { Field } from "../../../gateway/fix/message.ts";
import { demoConfig, failureLines, type Harness, rng, secret, startServer } from "../support/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startServer(demoConfig());
});
afterAll(async () => {
  await h.close();
});

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const CONNECTIONS = 150;

const APP_TYPES = ["D", "F", "G", "H", "q", "8", "AE", "0", "1", "2", "4", "5", "A", "3", "ZZ"];
const TAGS = [1, 11, 18, 37, 38, 40, 41, 44, 54, 55, 59, 60, 97, 99, 126, 530, 790, 7928, 7, 16, 36, 123, 112, 34, 43, 122, 9999];
const VALUES = ["", "0", "1", "2", "3", "4", "6", "7", "Y", "N", "BTC-USD", "ETH-USD", "DOGE", "-1", "0.0001", "30000", "1e9", "99999999999999999999", "2000.05", "1.5", "20261125-00:00:00", "garbage", "x".repeat(70), "\u00ff\u00fe"];

test("garbage, mutations and random application messages never disturb a healthy session", async () => {
  const r = rng(SEED);
  const healthy = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "HEALTHY" });
  await healthy.logon("carol-demo", secret("carol"), [[141, "Y"]]);
  let answered = 0;
  const stats = { garbage: 0, mutated: 0, app: 0, closedByServer: 0 };

  const good = (sender: string, seq: number, fields: Field[]) => encodeFix([fields[0]!, [49, sender], [56, "BOURSE"], [34, String(seq)], [52, "20261125-00:00:00.000"], ...fields.slice(1)]);
  const mutate = (b: Uint8Array): Uint8Array => {
    const m = b.slice();
    switch (r.int(5)) {
      case 0:
        for (let k = 0; k < 1 + r.int(4); k++) m[r.int(m.length)] = r.int(256);
        return m;
      case 1:
        return m.subarray(0, r.int(m.length));
      case 2:
        m[m.length - 2] = m[m.length - 2] === 0x30 ? 0x31 : 0x30; // checksum digit
        return m;
      case 3:
        return new TextEncoder().encode(new TextDecoder("latin1").decode(m).replace(/\x019=\d+/, `\x019=${r.int(100000)}`));
      default:
        return crypto.getRandomValues(new Uint8Array(1 + r.int(400)));
    }
  };

  for (let i = 0; i < CONNECTIONS; i++) {
    const sender = `FUZZ-${i}`;
    const c = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: sender, answerTestRequests: r.chance(0.5) });
    const loggedOn = r.chance(0.5);
    if (loggedOn) await c.logon("bob-demo", secret("bob"), [[141, "Y"]]).catch(() => {});
    const frames: Uint8Array[] = [];
    for (let k = 0; k < 5 + r.int(20); k++) {
      const kind = r.int(3);
      if (kind === 0) {
        frames.push(crypto.getRandomValues(new Uint8Array(1 + r.int(200))));
        stats.garbage++;
      } else if (kind === 1) {
        frames.push(mutate(good(sender, c.nextSeq + k, [[35, r.pick(APP_TYPES)], [11, `f${i}-${k}`], [55, "ETH-USD"], [54, "1"], [38, "1"], [40, "2"], [44, "2000"]])));
        stats.mutated++;
      } else {
        const fields: Field[] = [[35, r.pick(APP_TYPES)]];
        for (let n = 0; n < r.int(8); n++) {
          const v = r.pick(VALUES);
          if (v !== "") fields.push([r.pick(TAGS), v]);
        }
        try {
          frames.push(good(sender, c.nextSeq++, fields));
          stats.app++;
        } catch {
          // A field the encoder refuses (a tag that belongs in the header): not sent.
        }
      }
    }
    // Random chunking: the acceptor must reassemble across reads.
    const all = new Uint8Array(frames.reduce((s, f) => s + f.length, 0));
    let at = 0;
    for (const f of frames) {
      all.set(f, at);
      at += f.length;
    }
    for (let off = 0; off < all.length; ) {
      const n = 1 + r.int(300);
      c.raw(all.subarray(off, off + n));
      off += n;
    }
    if (r.chance(0.3)) c.close();
    else if (!c.isOpen) stats.closedByServer++;

    // The healthy session is answered every time, in order.
    if (i % 10 === 0) {
      healthy.send([[35, "1"], [112, `ping-${i}`]]);
      const hb = await healthy.next("0");
      expect(hb.get(112)).toBe(`ping-${i}`);
      healthy.send([[35, "D"], [11, `h-${i}`], [55, "BTC-USD"], [54, "1"], [38, "0.001"], [40, "2"], [44, "29000"], [59, "1"]]);
      const ack = await healthy.next("8");
      expect(ack.get(11)).toBe(`h-${i}`);
      expect(ack.get(150)).toBe("0");
      answered++;
    }
    if (!c.isOpen) continue;
    c.close();
  }

  expect(answered).toBe(CONNECTIONS / 10);
  expect(healthy.garbled).toBe(0);
  expect(h.runtime.stopped).toBe(false);
  // New logons are still taken.
  const late = await FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId: "LATE" });
  await late.logon("dave-demo", secret("dave"), [[141, "Y"]]);
  await late.logout();
  await healthy.logout();
  expect(failureLines(h.logs)).toEqual([]);
  expect(h.logs.filter((l) => /internal error|store flush failed/.test(l))).toEqual([]);
  console.log(`fix fuzz: seed ${SEED}, ${JSON.stringify(stats)}`);
});
