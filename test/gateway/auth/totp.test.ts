/**
 * gateway/auth/totp.ts: RFC 6238 codes (the RFC's own SHA-1 vectors), one step of drift either
 * way and no more, a code good once (at or before the last accepted step it is "replayed"), the
 * code's format, the enrolment URI and its QR code.
 */
import { describe, expect, test } from "bun:test";
import { Secret, TOTP } from "otpauth";
import { checkTotp, newTotpSecret, totpQrSvg, totpUri } from "../../../gateway/auth/totp.ts";

/** RFC 6238 Appendix B's SHA-1 seed, "12345678901234567890", in base32. */
const RFC_SECRET = Secret.fromLatin1("12345678901234567890").base32;

/** The code otpauth makes for `secret` at `ms`: an independent generator for the checks. */
const codeAt = (secret: string, ms: number) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: ms });

describe("TOTP", () => {
  test("accepts RFC 6238's SHA-1 vectors (the last 6 of the 8 digits) at their times", () => {
    expect(RFC_SECRET).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    const vectors: [number, string][] = [
      [59, "287082"],
      [1111111109, "081804"],
      [1111111111, "050471"],
      [1234567890, "005924"],
      [2000000000, "279037"],
    ];
    for (const [t, code] of vectors) expect({ t, r: checkTotp(RFC_SECRET, code, t * 1000, -1) }).toEqual({ t, r: { ok: true, step: Math.floor(t / 30) } });
  });

  test("accepts one step either side of now, and not two", () => {
    const s = newTotpSecret();
    const now = 1_800_000_000_000; // step 60,000,000 exactly
    const step = now / 30_000;
    expect(checkTotp(s, codeAt(s, now), now, -1)).toEqual({ ok: true, step });
    expect(checkTotp(s, codeAt(s, now - 30_000), now, -1)).toEqual({ ok: true, step: step - 1 });
    expect(checkTotp(s, codeAt(s, now + 30_000), now, -1)).toEqual({ ok: true, step: step + 1 });
    // The window counts whole steps: a code from the last ms of two steps back is out even at the end of this step.
    expect(checkTotp(s, codeAt(s, now - 30_001), now + 29_999, -1)).toEqual({ ok: false, reason: "wrong" });
    expect(checkTotp(s, codeAt(s, now - 60_000), now, -1)).toEqual({ ok: false, reason: "wrong" });
    expect(checkTotp(s, codeAt(s, now + 60_000), now, -1)).toEqual({ ok: false, reason: "wrong" });
  });

  test("a code is good once: at or before the last accepted step it is replayed", () => {
    const s = newTotpSecret();
    const now = 1_800_000_000_000;
    const code = codeAt(s, now);
    const first = checkTotp(s, code, now, -1);
    if (!first.ok) throw new Error("refused");
    expect(checkTotp(s, code, now + 1_000, first.step)).toEqual({ ok: false, reason: "replayed" });
    // Still within the window a step later, and still refused.
    expect(checkTotp(s, code, now + 30_000, first.step)).toEqual({ ok: false, reason: "replayed" });
    // An older code after a newer one was used is replayed too (RFC 6238 §5.2).
    expect(checkTotp(s, codeAt(s, now - 30_000), now, first.step)).toEqual({ ok: false, reason: "replayed" });
    // The next step's code is fine.
    expect(checkTotp(s, codeAt(s, now + 30_000), now + 30_000, first.step)).toEqual({ ok: true, step: first.step + 1 });
  });

  test("anything but exactly six ASCII digits is wrong", () => {
    const s = newTotpSecret();
    const now = 1_800_000_000_000;
    const code = codeAt(s, now);
    for (const bad of [` ${code}`, `${code} `, code.slice(1), `${code}0`, "", "abcdef", "١٢٣٤٥٦", `${code.slice(0, 3)} ${code.slice(3)}`]) {
      expect({ bad, r: checkTotp(s, bad, now, -1) }).toEqual({ bad, r: { ok: false, reason: "wrong" } });
    }
    expect(checkTotp(s, code, now, -1).ok).toBe(true);
  });

  test("a wrong code for this time is wrong", () => {
    const s = newTotpSecret();
    const now = 1_800_000_000_000;
    const code = codeAt(s, now);
    const other = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    expect(checkTotp(s, other, now, -1)).toMatchObject({ ok: false });
    expect(checkTotp(newTotpSecret(), code, now, -1)).toMatchObject({ ok: false });
  });

  test("new secrets are 20 random bytes, base32", () => {
    const a = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(Secret.fromBase32(a).bytes.length).toBe(20);
    expect(newTotpSecret()).not.toBe(a);
  });

  test("the enrolment URI names the issuer, the account, the secret and the parameters the apps expect", () => {
    const s = newTotpSecret();
    const u = new URL(totpUri(s, "alice"));
    expect(u.protocol).toBe("otpauth:");
    expect(u.host).toBe("totp");
    expect(decodeURIComponent(u.pathname)).toBe("/Bourse:alice");
    expect(Object.fromEntries(u.searchParams)).toEqual({ issuer: "Bourse", secret: s, algorithm: "SHA1", digits: "6", period: "30" });
  });

  test("the QR code is an SVG of dark modules, larger for a longer URI", async () => {
    const short = await totpQrSvg(totpUri(newTotpSecret(), "al"));
    const long = await totpQrSvg(totpUri(newTotpSecret(), "a".repeat(120)));
    expect(short).toStartWith("<svg");
    expect(short).toContain("<path");
    const size = (svg: string) => Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
    expect(size(short)).toBeGreaterThan(20);
    expect(size(long)).toBeGreaterThan(size(short));
  });
});
