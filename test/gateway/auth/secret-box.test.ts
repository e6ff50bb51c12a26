/**
 * gateway/auth/secret-box.ts: sealed secrets open with the right key and context only, fit the
 * journal's 96 characters (20- and 32-byte secrets measured), show nothing of the plaintext; the
 * master key comes from the environment, a key file or a generated 0600 file in the data
 * directory, and a bad one is refused naming where it came from, never what it holds.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OperatorError } from "../../../actors/operator-error.ts";
import { loadMasterKey, SEALED_MAX, SecretBox, SecretBoxOpenError, SecretTooLongError } from "../../../gateway/auth/secret-box.ts";
import { memoryLogger } from "../../../log/memory.ts";

const dir = mkdtempSync(join(tmpdir(), "bourse-secret-box-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("SecretBox", () => {
  const box = new SecretBox(randomBytes(32));

  test("seals and opens bytes and text; each seal is different (random IV)", () => {
    const secret = randomBytes(20);
    const a = box.sealBytes(secret);
    const b = box.sealBytes(secret);
    expect(a).not.toBe(b);
    expect(Buffer.from(box.openBytes(a)).equals(secret)).toBe(true);
    expect(Buffer.from(box.openBytes(b)).equals(secret)).toBe(true);
    expect(box.open(box.seal("JBSWY3DPEHPK3PXP"))).toBe("JBSWY3DPEHPK3PXP");
    expect(box.open(box.seal(""))).toBe("");
  });

  test("fits the journal: 65 characters for 20 bytes, 81 for 32, printable ASCII; too long is refused", () => {
    const s20 = box.sealBytes(randomBytes(20));
    const s32 = box.sealBytes(randomBytes(32));
    expect(s20.length).toBe(65);
    expect(s32.length).toBe(81);
    expect(s32.length).toBeLessThanOrEqual(SEALED_MAX);
    for (const s of [s20, s32]) expect(s).toMatch(/^1[A-Za-z0-9_-]+$/);
    expect(box.sealBytes(randomBytes(43)).length).toBeLessThanOrEqual(SEALED_MAX);
    expect(() => box.sealBytes(randomBytes(44))).toThrow(SecretTooLongError);
    // A 64-hex-character secret as text does not fit; its 32 bytes do.
    expect(() => box.seal(randomBytes(32).toString("hex"))).toThrow(SecretTooLongError);
  });

  test("the sealed form shows nothing of the plaintext", () => {
    const plain = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const sealed = box.seal(plain);
    expect(sealed).not.toContain("AAAA");
    expect(Buffer.from(sealed.slice(1), "base64url").includes(Buffer.from("AAAA"))).toBe(false);
  });

  test("a wrong key, a wrong context, a flipped bit or a truncation does not open", () => {
    const sealed = box.sealBytes(randomBytes(20), "totp:7");
    expect(box.openBytes(sealed, "totp:7").length).toBe(20);
    expect(() => new SecretBox(randomBytes(32)).openBytes(sealed, "totp:7")).toThrow(SecretBoxOpenError);
    expect(() => box.openBytes(sealed, "totp:8")).toThrow(SecretBoxOpenError);
    expect(() => box.openBytes(sealed)).toThrow(SecretBoxOpenError);
    const raw = Buffer.from(sealed.slice(1), "base64url");
    for (const at of [0, 12, 28, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at]! ^= 1;
      expect(() => box.openBytes(`1${bad.toString("base64url")}`, "totp:7")).toThrow(SecretBoxOpenError);
    }
    for (const bad of [sealed.slice(0, 30), `2${sealed.slice(1)}`, "", "1", `${sealed}!`]) expect(() => box.openBytes(bad, "totp:7")).toThrow(SecretBoxOpenError);
  });

  test("wants a 32-byte key", () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32-byte key, got 16/);
  });
});

describe("loadMasterKey", () => {
  const key = randomBytes(32);

  test("from BOURSE_MASTER_KEY as hex or base64 (standard or url, padded or not), before any file", () => {
    const d = join(dir, "env");
    for (const text of [key.toString("hex"), key.toString("hex").toUpperCase(), key.toString("base64"), key.toString("base64url"), ` ${key.toString("base64")}\n`]) {
      const k = loadMasterKey({ env: { BOURSE_MASTER_KEY: text }, file: join(dir, "nonexistent.key"), dataDir: d });
      expect({ source: k.source, generated: k.generated, same: Buffer.from(k.key).equals(key) }).toEqual({ source: "env", generated: false, same: true });
    }
  });

  test("from a configured key file", () => {
    const f = join(dir, "configured.key");
    writeFileSync(f, `${key.toString("base64")}\n`);
    const k = loadMasterKey({ env: {}, file: f, dataDir: join(dir, "file") });
    expect(k.source).toBe("file");
    expect(Buffer.from(k.key).equals(key)).toBe(true);
  });

  test("generated once into <dataDir>/master.key (0600), then read back; warned about when made, noted at later starts", () => {
    const d = join(dir, "gen", "data");
    const { log, records } = memoryLogger();
    const first = loadMasterKey({ env: {}, dataDir: d, log });
    expect(first).toMatchObject({ source: "data-dir", generated: true });
    expect(statSync(join(d, "master.key")).mode & 0o777).toBe(0o600);
    const again = loadMasterKey({ env: { BOURSE_MASTER_KEY: "" }, dataDir: d, log });
    expect(again).toMatchObject({ source: "data-dir", generated: false });
    expect(Buffer.from(again.key).equals(Buffer.from(first.key))).toBe(true);
    expect(records.filter((r) => r.msg === "master key kept in the data directory").map((r) => [r.level, r.generated])).toEqual([["warn", true], ["info", false]]);
    // The log names the file, never the key.
    const keyText = readFileSync(join(d, "master.key"), "utf8").trim();
    expect(JSON.stringify(records)).not.toContain(keyText);
  });

  test("a bad key is refused naming its source and not its value", () => {
    const f = join(dir, "bad.key");
    writeFileSync(f, "c2hvcnQ=\n");
    const bads: [Parameters<typeof loadMasterKey>[0], RegExp][] = [
      [{ env: { BOURSE_MASTER_KEY: "not-a-key-at-all-but-long-enough" }, dataDir: dir }, /BOURSE_MASTER_KEY is not a master key/],
      [{ env: { BOURSE_MASTER_KEY: key.toString("hex").slice(2) }, dataDir: dir }, /BOURSE_MASTER_KEY/],
      [{ env: {}, file: f, dataDir: dir }, /bad\.key is not a master key/],
      [{ env: {}, file: join(dir, "missing.key"), dataDir: dir }, /cannot read the master key file .*missing\.key \(ENOENT\)/],
    ];
    for (const [o, re] of bads) {
      let thrown: unknown;
      try {
        loadMasterKey(o);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(OperatorError);
      expect((thrown as Error).message).toMatch(re);
      expect((thrown as Error).message).not.toContain("not-a-key-at-all");
      expect((thrown as Error).message).not.toContain(key.toString("hex").slice(2, 20));
      expect((thrown as Error).message).not.toContain("c2hvcnQ");
    }
  });
});
