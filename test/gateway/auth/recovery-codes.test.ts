/**
 * gateway/auth/recovery-codes.ts: ten distinct random codes in the unambiguous alphabet, stored as
 * 22-character hashes, matched whatever the case, dashes and spaces (and I/L/O typed for 1/0),
 * a spent code (null) never matching again, and nothing else matching.
 */
import { describe, expect, test } from "bun:test";
import { matchRecoveryCode, newRecoveryCodes, RECOVERY_CODE_BITS, RECOVERY_CODE_COUNT } from "../../../gateway/auth/recovery-codes.ts";

describe("recovery codes", () => {
  test("ten distinct codes of 80 random bits, with their hashes in the same order", () => {
    const { codes, hashes } = newRecoveryCodes();
    expect(RECOVERY_CODE_BITS).toBeGreaterThanOrEqual(60);
    expect(codes.length).toBe(RECOVERY_CODE_COUNT);
    expect(hashes.length).toBe(RECOVERY_CODE_COUNT);
    for (const c of codes) expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    for (const h of hashes) expect(h).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    expect(new Set(hashes).size).toBe(RECOVERY_CODE_COUNT);
    codes.forEach((c, i) => expect(matchRecoveryCode(c, hashes)).toBe(i));
  });

  test("every character of the alphabet turns up, evenly enough (the draw is uniform)", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i++) for (const ch of newRecoveryCodes().codes.join("").replace(/-/g, "")) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    // 32,000 characters over 32 letters: 1,000 each expected; a 5-sigma band is about ±160.
    expect(counts.size).toBe(32);
    for (const [ch, n] of counts) expect({ ch, even: n > 800 && n < 1200 }).toEqual({ ch, even: true });
  });

  test("matches whatever the case, dashes and spaces, and I, L, O typed for 1 and 0", () => {
    const { codes, hashes } = newRecoveryCodes();
    const c = codes[3]!;
    expect(matchRecoveryCode(c.toUpperCase(), hashes)).toBe(3);
    expect(matchRecoveryCode(c.replace(/-/g, ""), hashes)).toBe(3);
    expect(matchRecoveryCode(` ${c.replace(/-/g, " ")} `, hashes)).toBe(3);
    // A code with a 0 or 1 in it (nearly every set has one), found as if typed with O and I/L.
    let set = newRecoveryCodes();
    while (!set.codes.some((x) => /[01]/.test(x))) set = newRecoveryCodes();
    const i = set.codes.findIndex((x) => /[01]/.test(x));
    expect(matchRecoveryCode(set.codes[i]!.replace(/0/g, "O").replace(/1/g, "l"), set.hashes)).toBe(i);
    expect(matchRecoveryCode(set.codes[i]!.replace(/1/g, "I"), set.hashes)).toBe(i);
  });

  test("a spent code does not match; nothing else matches", () => {
    const { codes, hashes } = newRecoveryCodes();
    const spent: (string | null)[] = [...hashes];
    spent[5] = null;
    expect(matchRecoveryCode(codes[5]!, spent)).toBe(-1);
    expect(matchRecoveryCode(codes[6]!, spent)).toBe(6);
    const c = codes[0]!;
    const flipped = c.slice(0, -1) + (c.endsWith("a") ? "b" : "a");
    for (const bad of [flipped, c.slice(0, -1), `${c}a`, "", "----", "uuuu-uuuu-uuuu-uuuu", newRecoveryCodes().codes[0]!]) expect({ bad, i: matchRecoveryCode(bad, hashes) }).toEqual({ bad, i: -1 });
    expect(matchRecoveryCode(c, [])).toBe(-1);
  });
});
