/**
 * The statement's body (gateway/rest/routes/statement.ts csvBody): pulled, not pushed — the
 * statement is advanced one chunk per read, so neither end holds the file; a client that goes
 * away ends the statement (its store cursors); a failure mid-way cuts the body and is logged.
 * And without a history store the route answers 503 HISTORY_UNAVAILABLE.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../../app/exchange.ts";
import { csvBody } from "../../../gateway/rest/routes/statement.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { demoConfig, secret } from "../support/harness.ts";
import { expectErrorShape, signedRequest } from "../support/rest.ts";

/** A statement of `n` chunks that counts how far it was read and whether it was ended. */
function counted(n: number, failAt = -1) {
  const seen = { made: 0, ended: false };
  async function* chunks(): AsyncGenerator<string> {
    try {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error("store went away");
        seen.made++;
        yield `row ${i}\r\n`;
      }
    } finally {
      seen.ended = true;
    }
  }
  return { seen, chunks: chunks() };
}

/** Lets the event loop turn a few times: what the stream would do by itself, it has done by then. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

test("the body advances the statement only as it is read, and a cancel ends it", async () => {
  const { seen, chunks } = counted(1_000);
  const body = csvBody(chunks, memoryLogger().log, 1);
  const reader = body.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toBe("row 0\r\n");
  // The stream holds at most one chunk ahead of the reader, however long it is left alone.
  await settle();
  expect(seen.made).toBeLessThanOrEqual(2);
  await reader.read();
  await settle();
  expect(seen.made).toBeLessThanOrEqual(3);
  await reader.cancel();
  expect(seen.ended).toBe(true);
  expect(seen.made).toBeLessThan(10);
});

test("read to the end, every chunk in order; a failure mid-way errors the body and is logged", async () => {
  const whole = await new Response(csvBody(counted(50).chunks, memoryLogger().log, 1)).text();
  expect(whole.split("\r\n").filter((l) => l)).toEqual(Array.from({ length: 50 }, (_, i) => `row ${i}`));
  const log = memoryLogger();
  const cut = await new Response(csvBody(counted(50, 10).chunks, log.log, 7)).text().catch((e: unknown) => e);
  expect(cut).toBeInstanceOf(Error);
  expect(log.lines().some((l) => l.startsWith("ERROR statement stream failed") && l.includes("account=7"))).toBe(true);
});

const dir = mkdtempSync(join(tmpdir(), "bourse-rest-nohistory-"));
let ex: BourseExchange;
beforeAll(async () => {
  ex = await new BourseExchange({ dataDir: dir, config: demoConfig(), workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: memoryLogger().log, history: false }).start();
});
afterAll(async () => {
  await ex.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("without a history store: 503 HISTORY_UNAVAILABLE", async () => {
  const res = await fetch(signedRequest(`http://127.0.0.1:${ex.gateway!.server.port}`, { keyId: "alice-demo", secret: secret("alice"), path: "/api/v1/statement?from=0" }));
  expect((await expectErrorShape(res, 503)).code).toBe("HISTORY_UNAVAILABLE");
});
