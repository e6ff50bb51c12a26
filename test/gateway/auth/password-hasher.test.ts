/**
 * gateway/auth/password-hasher.ts: argon2id through a bounded FIFO queue (a full line is refused
 * at once, busy), the stand-in verify for unknown users, NFKC, the password policy, and the
 * journal's packed hash form (≤ 96 characters, back byte for byte).
 */
import { describe, expect, test } from "bun:test";
import { HashFormatError, PACKED_HASH_MAX, PasswordHasher, packHash, passwordProblem, unpackHash } from "../../../gateway/auth/password-hasher.ts";

/** Cheap parameters where the cost is not what is tested. */
const CHEAP = { memoryCost: 256, timeCost: 1 };

describe("PasswordHasher", () => {
  test("hashes with argon2id and verifies right and wrong passwords", async () => {
    const h = new PasswordHasher(CHEAP);
    const r = await h.hash("correct horse battery staple");
    if (!r.ok) throw new Error("busy");
    expect(r.hash).toStartWith("$argon2id$v=19$m=256,t=1,p=1$");
    expect(await h.verify(r.hash, "correct horse battery staple")).toEqual({ ok: true, match: true });
    expect(await h.verify(r.hash, "correct horse battery stapl")).toEqual({ ok: true, match: false });
  });

  test("uses Bun's default cost unless told otherwise", async () => {
    const r = await new PasswordHasher().hash("correct horse battery staple");
    expect(r.ok && r.hash).toStartWith("$argon2id$v=19$m=65536,t=2,p=1$");
  });

  test("normalizes to NFKC: a composed and a decomposed é are the same password", async () => {
    const h = new PasswordHasher(CHEAP);
    const r = await h.hash("caf\u00e9 au lait, s'il vous plaît");
    if (!r.ok) throw new Error("busy");
    expect(await h.verify(r.hash, "cafe\u0301 au lait, s'il vous plaît")).toEqual({ ok: true, match: true });
  });

  test("runs at most `concurrency` at once, queues up to maxQueued in order, and refuses the rest at once", async () => {
    const h = new PasswordHasher({ ...CHEAP, concurrency: 1, maxQueued: 2 });
    const done: number[] = [];
    const jobs = [0, 1, 2].map((i) => h.hash(`password number ${i}`).then((r) => (done.push(i), r)));
    expect(h.load).toEqual({ running: 1, queued: 2 });
    // The fourth finds the line full: answered busy without waiting for any of the others.
    expect(await h.verify("$argon2id$v=19$m=256,t=1,p=1$AAAA$AAAA", "x")).toEqual({ ok: false, busy: true });
    expect(await h.hash("another password")).toEqual({ ok: false, busy: true });
    expect(done).toEqual([]);
    const results = await Promise.all(jobs);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(done).toEqual([0, 1, 2]);
    expect(h.load).toEqual({ running: 0, queued: 0 });
    // The line is free again.
    expect((await h.hash("after the storm")).ok).toBe(true);
  });

  test("two slots run two at once", () => {
    const h = new PasswordHasher({ ...CHEAP, concurrency: 2, maxQueued: 1 });
    const jobs = [h.hash("first password"), h.hash("second password"), h.hash("third password")];
    expect(h.load).toEqual({ running: 2, queued: 1 });
    return Promise.all(jobs);
  });

  test("a failing verify (a malformed hash) frees its slot", async () => {
    const h = new PasswordHasher({ ...CHEAP, concurrency: 1, maxQueued: 0 });
    await expect(h.verify("not a hash", "x")).rejects.toThrow();
    expect(h.load).toEqual({ running: 0, queued: 0 });
    expect((await h.hash("still works")).ok).toBe(true);
  });

  test("an unknown user's login costs a real verify (against the stand-in) and never matches", async () => {
    // Bun's default cost, where the time matters: a skipped verify would answer in microseconds.
    const h = new PasswordHasher();
    const r = await h.hash("correct horse battery staple");
    if (!r.ok) throw new Error("busy");
    await h.verifyOrStandIn(undefined, "warm-up");
    const time = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    const known = await time(() => h.verifyOrStandIn(r.hash, "wrong password"));
    const unknown = await time(() => h.verifyOrStandIn(undefined, "wrong password"));
    expect(unknown).toBeGreaterThan(known / 3);
    expect(await h.verifyOrStandIn(undefined, "correct horse battery staple")).toEqual({ ok: true, match: false });
    expect(await h.verifyOrStandIn(r.hash, "correct horse battery staple")).toEqual({ ok: true, match: true });
  });

  test("refuses bad options", () => {
    expect(() => new PasswordHasher({ concurrency: 0 })).toThrow(/concurrency/);
    expect(() => new PasswordHasher({ maxQueued: -1 })).toThrow(/maxQueued/);
  });
});

describe("packHash / unpackHash", () => {
  test("Bun's default hash packs into exactly 96 printable characters and comes back byte for byte, still verifying", async () => {
    const h = new PasswordHasher();
    const r = await h.hash("correct horse battery staple");
    if (!r.ok) throw new Error("busy");
    expect(r.hash.length).toBe(118);
    const packed = packHash(r.hash);
    expect(packed.length).toBeLessThanOrEqual(PACKED_HASH_MAX);
    expect(packed.length).toBe(96);
    expect(packed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(unpackHash(packed)).toBe(r.hash);
    expect(await h.verify(unpackHash(packed), "correct horse battery staple")).toEqual({ ok: true, match: true });
  });

  test("keeps non-default parameters", () => {
    const enc = "$argon2id$v=19$m=19456,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$c29tZWhhc2hzb21laGFzaHNvbWVoYXNoc29tZWhhc2g";
    expect(unpackHash(packHash(enc))).toBe(enc);
  });

  test("refuses anything but a canonical argon2id v19 hash", () => {
    const good = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$c29tZWhhc2hzb21laGFzaHNvbWVoYXNoc29tZWhhc2g";
    expect(() => packHash(good)).not.toThrow();
    for (const bad of [
      good.replace("argon2id", "argon2i"),
      good.replace("v=19", "v=16"),
      "$2b$10$abcdefghijklmnopqrstuuvwxyzabcdefghijklmnopqrstuvwxyz12",
      good.replace("c29tZXNhbHRzb21lc2FsdA", "c29tZXNhbHRzb21lc2FsdB"), // non-canonical: the last character's spare bits set
      good.replace("p=1", "p=256"),
      good + "=",
      "",
    ]) {
      expect(() => packHash(bad)).toThrow(HashFormatError);
    }
    for (const bad of ["", "AAAA", "!!!!", `${packHash(good).slice(0, 20)}`, "Ag" + packHash(good).slice(2)]) expect(() => unpackHash(bad)).toThrow(HashFormatError);
  });
});

describe("passwordProblem", () => {
  test("length from 12 to 256 code points, anything but one character repeated, no composition rules", () => {
    expect(passwordProblem("correct horse")).toBeNull();
    expect(passwordProblem("alllowercase")).toBeNull();
    expect(passwordProblem("elevenchars")).toMatch(/at least 12/);
    expect(passwordProblem("")).toMatch(/at least 12/);
    // 12 emoji are 24 UTF-16 units but 12 characters: enough; 11 are not.
    expect(passwordProblem("🔑🐴🔋📎🔑🐴🔋📎🔑🐴🔋📎")).toBeNull();
    expect(passwordProblem("🔑🐴🔋📎🔑🐴🔋📎🔑🐴🔋")).toMatch(/at least 12/);
    expect(passwordProblem("x".repeat(255) + "y")).toBeNull();
    expect(passwordProblem("x".repeat(256) + "y")).toMatch(/at most 256/);
    expect(passwordProblem("aaaaaaaaaaaaaaaa")).toMatch(/repeated/);
    expect(passwordProblem("aaaaaaaaaaaaaaab")).toBeNull();
  });
});
