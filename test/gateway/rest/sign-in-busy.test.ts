/**
 * A sign-in storm meets a full hasher: the extra sign-ins are refused 429 BUSY with Retry-After
 * at once (before their bodies are read), every one is in the audit log, and the ones admitted
 * are answered as usual.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BourseExchange } from "../../../app/exchange.ts";
import { memoryLogger } from "../../../log/memory.ts";
import { demoConfig } from "../support/harness.ts";
import { expectErrorShape } from "../support/rest.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-busy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("eight sign-ins at once against one verify and no queue: one admitted, the rest 429 BUSY", async () => {
  const config = demoConfig((c) => {
    c.users = [{ name: "tom", role: "trader", accounts: [1], password: "tom-demo-password" }];
    // Bun's default argon2id cost (~100 ms a verify): the other seven arrive while the first runs.
    c.identity = { passwordHashing: { concurrency: 1, maxQueued: 0 } };
  });
  const ex = await new BourseExchange({ dataDir: dir, config, workers: 0, port: 0, fixPort: 0, host: "127.0.0.1", log: memoryLogger().log }).start();
  try {
    const url = `http://127.0.0.1:${ex.gateway!.server.port}/api/v1/auth/login`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user: "tom", password: "tom-demo-password" }) })),
    );
    const ok = answers.filter((r) => r.status === 200);
    const busy = answers.filter((r) => r.status === 429);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length + busy.length).toBe(8);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (const r of busy) {
      expect(r.headers.get("retry-after")).toBe("1");
      expect((await expectErrorShape(r, 429)).code).toBe("BUSY");
    }
    const outcomes = ex.identity!.audit.recent(20).map((a) => a.outcome);
    expect(outcomes.filter((o) => o === "busy").length).toBe(busy.length);
    expect(outcomes.filter((o) => o === "enrol").length).toBe(ok.length);
  } finally {
    await ex.stop();
  }
});
