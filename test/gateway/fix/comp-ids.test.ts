/**
 * A FIX SenderCompID belongs to one API key (gateway/fix/comp-ids.ts): configured for it, or
 * registered by its first logon and kept across restarts. Another key's logon with that CompID is
 * refused — whether or not the owner is logged on, so it neither locks the owner out nor tells who
 * is online — and leaves no store file; a key registers a bounded number of CompIDs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompIdRegistry } from "../../../gateway/fix/comp-ids.ts";
import { FixInitiator } from "../../../gateway/fix/initiator.ts";
import { FixStoreError } from "../../../gateway/fix/store.ts";
import { ApiKeys } from "../../../gateway/auth/keys.ts";
import { OperatorError } from "../../../actors/operator-error.ts";
import { demoConfig, type Harness, secret, startServer } from "../support/harness.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), "bourse-compids-"));
  dirs.push(d);
  return d;
};

describe("CompIdRegistry", () => {
  test("configured CompIDs belong to their key alone; that key may use no other", () => {
    const r = new CompIdRegistry(temp(), [{ keyId: "carol", compIds: ["CAROL-1", "CAROL-2"] }], 16);
    expect(r.claim("CAROL-1", "carol")).toEqual({ ok: true });
    expect(r.claim("CAROL-2", "alice")).toEqual({ ok: false, why: "SenderCompID CAROL-2 belongs to another key" });
    expect(r.claim("CAROL-3", "carol")).toEqual({ ok: false, why: "SenderCompID CAROL-3 is not one of this key's configured CompIDs" });
  });

  test("first use registers, durably: a new registry on the same directory knows the owner", () => {
    const dir = temp();
    expect(new CompIdRegistry(dir, [], 16).claim("BOB-FIX", "bob")).toEqual({ ok: true });
    const again = new CompIdRegistry(dir, [], 16);
    expect(again.claim("BOB-FIX", "alice").ok).toBe(false);
    expect(again.claim("BOB-FIX", "bob")).toEqual({ ok: true });
  });

  test("a key registers at most maxPerKey CompIDs by first use", () => {
    const r = new CompIdRegistry(temp(), [], 3);
    for (const id of ["A1", "A2", "A3"]) expect(r.claim(id, "alice")).toEqual({ ok: true });
    expect(r.claim("A4", "alice")).toEqual({ ok: false, why: "this key has registered its 3 SenderCompIDs; log on with one of them, or have the operator configure fixCompIds for the key" });
    expect(r.claim("A1", "alice")).toEqual({ ok: true });
    expect(r.claim("B1", "bob")).toEqual({ ok: true });
  });

  test("a registry file that is not one is refused with what to do", () => {
    const dir = temp();
    writeFileSync(join(dir, "compids.json"), "{not json");
    expect(() => new CompIdRegistry(dir, [], 16)).toThrow(FixStoreError);
  });

  test("a CompID configured for two keys is a configuration error", () => {
    expect(() => new ApiKeys([{ id: "k1", account: 1, secret: "s".repeat(16), fixCompIds: ["X"] }, { id: "k2", account: 2, secret: "t".repeat(16), fixCompIds: ["X"] }])).toThrow(OperatorError);
  });
});

describe("the FIX door", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startServer(demoConfig((c) => (c.fix = { ...c.fix, maxCompIdsPerKey: 4 })));
  });
  afterAll(() => h.close());

  const connect = (senderCompId: string) => FixInitiator.connect({ host: "127.0.0.1", port: h.fix.port, senderCompId });
  const storeFiles = () => readdirSync(join(h.fix.storeDir, ".")).filter((f) => f !== "compids.json");

  test("alice cannot take bob's CompID, whether bob is logged on or not; bob keeps it", async () => {
    const bob = await connect("BOB-FIX");
    await bob.logon("bob-demo", secret("bob"), [[141, "Y"]]);
    // Bob is online: alice is told only that the name is not hers, not that it is in use.
    const alice = await connect("BOB-FIX");
    await expect(alice.logon("alice-demo", secret("alice"))).rejects.toThrow("SenderCompID BOB-FIX belongs to another key");
    await bob.logout();
    const alice2 = await connect("BOB-FIX");
    await expect(alice2.logon("alice-demo", secret("alice"))).rejects.toThrow("belongs to another key");
    const bob2 = await connect("BOB-FIX");
    await bob2.logon("bob-demo", secret("bob"), [[141, "Y"]]);
    await bob2.logout();
    // Only bob's account has a store for BOB-FIX.
    expect(storeFiles().filter((f) => f.includes("BOB-FIX")).sort()).toEqual(["2%2EBOB-FIX.out", "2%2EBOB-FIX.seqs"]);
  });

  test("past its limit a key registers no more CompIDs, and the refused ones leave no store file", async () => {
    for (const id of ["DAVE-1", "DAVE-2", "DAVE-3", "DAVE-4"]) {
      const c = await connect(id);
      await c.logon("dave-demo", secret("dave"));
      await c.logout();
    }
    const c = await connect("DAVE-5");
    await expect(c.logon("dave-demo", secret("dave"))).rejects.toThrow("this key has registered its 4 SenderCompIDs");
    expect(storeFiles().some((f) => f.includes("DAVE-5"))).toBe(false);
    expect(storeFiles().some((f) => f.includes("DAVE-4"))).toBe(true);
  });
});
