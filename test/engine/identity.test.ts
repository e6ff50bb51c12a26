import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type CommandInit, CommandType, makeCommand } from "../../engine/commands.ts";
import { AccountEvent, EventBuffer, EventType, Rejected, Ev, EVENT_WIDTH } from "../../engine/events.ts";
import { Exchange, type ExchangeConfig } from "../../engine/exchange.ts";
import { readExchangeSnapshot, writeExchangeSnapshot } from "../../engine/exchange-snapshot.ts";
import { Identity, KeyField, Role, ScopeBit } from "../../engine/identity.ts";
import { Reason } from "../../engine/reasons.ts";

const CONFIG: ExchangeConfig = {
  currencies: [{ id: 1, code: "USD", scale: 2 }],
  instruments: [{ id: 1, symbol: "AAA", tickSize: "0.01", lotSize: "1", bandBps: 500, referencePrice: 100, base: "AAA", quote: "USD" }],
  tiers: [{ id: 1, makerBps: 0, takerBps: 0 }],
};

const H = "x".repeat(22);

function run(ex: Exchange, init: CommandInit, time = 1_000): number {
  const out = new EventBuffer();
  ex.execute(makeCommand({ time, ...init }), out);
  for (let i = 0; i < out.count; i++) {
    const b = i * EVENT_WIDTH;
    if (Ev.type(out.data, b) === EventType.REJECTED) return Rejected.reason(out.data, b);
  }
  return Reason.OK;
}

function world(): Exchange {
  const ex = new Exchange(CONFIG);
  run(ex, { type: CommandType.OPEN_ACCOUNT, account: 7, tier: 1 });
  return ex;
}

describe("identity commands", () => {
  test("a user is added once, with a role and a hash; names and roles are checked", () => {
    const ex = world();
    expect(run(ex, { type: CommandType.USER_ADD, clientOrderId: "alice", tier: Role.TRADER, destination: "hash1" })).toBe(Reason.OK);
    expect(run(ex, { type: CommandType.USER_ADD, clientOrderId: "alice", tier: Role.TRADER, destination: "hash1" })).toBe(Reason.USER_EXISTS);
    expect(run(ex, { type: CommandType.USER_ADD, clientOrderId: "Bob", tier: Role.TRADER, destination: "h" })).toBe(Reason.INVALID_USER_NAME);
    expect(run(ex, { type: CommandType.USER_ADD, clientOrderId: "bob", tier: 9, destination: "h" })).toBe(Reason.INVALID_ROLE);
    expect(run(ex, { type: CommandType.USER_ADD, clientOrderId: "bob", tier: Role.OPERATOR, destination: "" })).toBe(Reason.INVALID_CREDENTIAL);
    const u = ex.identity.users.get("alice")!;
    expect(u.id).toBe(1);
    expect(u.password).toBe("hash1");
    expect(ex.identity.users.has("bob")).toBe(false);
  });

  test("grants name accounts that exist", () => {
    const ex = world();
    run(ex, { type: CommandType.USER_ADD, clientOrderId: "alice", tier: Role.TRADER, destination: "h" });
    expect(run(ex, { type: CommandType.USER_GRANT, clientOrderId: "alice", account: 8, flags: 1 })).toBe(Reason.UNKNOWN_ACCOUNT);
    expect(run(ex, { type: CommandType.USER_GRANT, clientOrderId: "alice", account: 7, flags: 1 })).toBe(Reason.OK);
    expect([...ex.identity.users.get("alice")!.accounts]).toEqual([7]);
    expect(run(ex, { type: CommandType.USER_GRANT, clientOrderId: "nobody", account: 7, flags: 1 })).toBe(Reason.UNKNOWN_USER);
  });

  test("a TOTP step is accepted once, and only later steps after it", () => {
    const ex = world();
    run(ex, { type: CommandType.USER_ADD, clientOrderId: "alice", tier: Role.TRADER, destination: "h" });
    expect(run(ex, { type: CommandType.USER_LOGIN, clientOrderId: "alice", qty: 100 })).toBe(Reason.MFA_NOT_ENROLLED);
    run(ex, { type: CommandType.USER_TOTP, clientOrderId: "alice", destination: "sealed" });
    expect(run(ex, { type: CommandType.USER_LOGIN, clientOrderId: "alice", qty: 100 })).toBe(Reason.OK);
    expect(run(ex, { type: CommandType.USER_LOGIN, clientOrderId: "alice", qty: 100 })).toBe(Reason.TOTP_REPLAYED);
    expect(run(ex, { type: CommandType.USER_LOGIN, clientOrderId: "alice", qty: 99 })).toBe(Reason.TOTP_REPLAYED);
    expect(run(ex, { type: CommandType.USER_LOGIN, clientOrderId: "alice", qty: 101 })).toBe(Reason.OK);
  });

  test("a recovery code is spent once; a new TOTP removal clears them", () => {
    const ex = world();
    run(ex, { type: CommandType.USER_ADD, clientOrderId: "alice", tier: Role.TRADER, destination: "h" });
    run(ex, { type: CommandType.USER_TOTP, clientOrderId: "alice", destination: "sealed" });
    expect(run(ex, { type: CommandType.USER_RECOVERY, clientOrderId: "alice", qty: 0, destination: [H, H, H].join(".") })).toBe(Reason.OK);
    expect(run(ex, { type: CommandType.USER_RECOVERY, clientOrderId: "alice", qty: 1, destination: "short" })).toBe(Reason.INVALID_CREDENTIAL);
    expect(run(ex, { type: CommandType.USER_LOGIN, clientOrderId: "alice", price: 2 })).toBe(Reason.OK);
    expect(run(ex, { type: CommandType.USER_LOGIN, clientOrderId: "alice", price: 2 })).toBe(Reason.TOTP_REPLAYED);
    expect(run(ex, { type: CommandType.USER_LOGIN, clientOrderId: "alice", price: 4 })).toBe(Reason.TOTP_REPLAYED);
    expect(ex.identity.users.get("alice")!.recovery).toEqual([H, "", H]);
    run(ex, { type: CommandType.USER_TOTP, clientOrderId: "alice", destination: "" });
    expect(ex.identity.users.get("alice")!.recovery).toEqual([]);
  });

  test("a key belongs to an existing account, has scopes, and once revoked stays revoked", () => {
    const ex = world();
    expect(run(ex, { type: CommandType.KEY_ADD, clientOrderId: "k1", account: 8, flags: ScopeBit.READ, destination: "s" })).toBe(Reason.UNKNOWN_ACCOUNT);
    expect(run(ex, { type: CommandType.KEY_ADD, clientOrderId: "k1", account: 7, flags: 0, destination: "s" })).toBe(Reason.INVALID_KEY);
    expect(run(ex, { type: CommandType.KEY_ADD, clientOrderId: "k1", account: 7, flags: ScopeBit.READ | ScopeBit.TRADE, destination: "s" })).toBe(Reason.OK);
    expect(run(ex, { type: CommandType.KEY_ADD, clientOrderId: "k1", account: 7, flags: ScopeBit.READ, destination: "s" })).toBe(Reason.KEY_EXISTS);
    expect(run(ex, { type: CommandType.KEY_SET, clientOrderId: "k1", flags: KeyField.ALLOW_IP, destination: "10.0.0.0/8" })).toBe(Reason.OK);
    expect(run(ex, { type: CommandType.KEY_SET, clientOrderId: "k1", flags: KeyField.LABEL, destination: "my%20bot" })).toBe(Reason.OK);
    expect(run(ex, { type: CommandType.KEY_REVOKE, clientOrderId: "k1" }, 5_000)).toBe(Reason.OK);
    expect(run(ex, { type: CommandType.KEY_REVOKE, clientOrderId: "k1" })).toBe(Reason.KEY_REVOKED);
    expect(run(ex, { type: CommandType.KEY_REVOKE, clientOrderId: "k2" })).toBe(Reason.UNKNOWN_KEY);
    const k = ex.identity.keys.get("k1")!;
    expect([k.allowIps, k.label, k.revoked]).toEqual([["10.0.0.0/8"], "my%20bot", 5_000]);
  });

  test("an accepted identity command's ACCOUNT event names the user's id, and no id for a key (even one named like a user)", () => {
    const ex = world();
    const subject = (init: CommandInit) => {
      const out = new EventBuffer();
      ex.execute(makeCommand({ time: 1_000, ...init }), out);
      expect(Ev.type(out.data, 0)).toBe(EventType.ACCOUNT);
      return AccountEvent.subject(out.data, 0);
    };
    run(ex, { type: CommandType.USER_ADD, clientOrderId: "first", tier: Role.TRADER, destination: "h" });
    expect(subject({ type: CommandType.USER_ADD, clientOrderId: "k1", tier: Role.TRADER, destination: "h" })).toBe(2);
    expect(subject({ type: CommandType.USER_LOCK, clientOrderId: "k1", flags: 1 })).toBe(2);
    expect(subject({ type: CommandType.KEY_ADD, clientOrderId: "k1", account: 7, flags: ScopeBit.READ, destination: "s" })).toBe(0);
  });

  test("a snapshot keeps every user and key, and a restored exchange goes on the same way", () => {
    const ops = fc.array(
      fc.oneof(
        fc.record({ type: fc.constant(CommandType.USER_ADD), clientOrderId: fc.constantFrom("a", "b", "c"), tier: fc.constantFrom(1, 2, 3, 4), destination: fc.constantFrom("h1", "h2") }),
        fc.record({ type: fc.constant(CommandType.USER_LOGIN), clientOrderId: fc.constantFrom("a", "b"), qty: fc.integer({ min: 0, max: 5 }), price: fc.integer({ min: 0, max: 3 }) }),
        fc.record({ type: fc.constant(CommandType.USER_TOTP), clientOrderId: fc.constantFrom("a", "b"), destination: fc.constantFrom("", "s1") }),
        fc.record({ type: fc.constant(CommandType.USER_RECOVERY), clientOrderId: fc.constantFrom("a", "b"), qty: fc.integer({ min: 0, max: 1 }), destination: fc.constant(`${H}.${H}`) }),
        fc.record({ type: fc.constant(CommandType.USER_GRANT), clientOrderId: fc.constantFrom("a", "b"), account: fc.constantFrom(7, 8), flags: fc.integer({ min: 0, max: 1 }) }),
        fc.record({ type: fc.constant(CommandType.USER_LOCK), clientOrderId: fc.constantFrom("a", "c"), flags: fc.integer({ min: 0, max: 1 }) }),
        fc.record({ type: fc.constant(CommandType.KEY_ADD), clientOrderId: fc.constantFrom("k1", "k2"), account: fc.constantFrom(7, 8), flags: fc.integer({ min: 0, max: 8 }), destination: fc.constant("s") }),
        fc.record({ type: fc.constant(CommandType.KEY_SET), clientOrderId: fc.constantFrom("k1", "k2"), flags: fc.integer({ min: 0, max: 2 }), destination: fc.constantFrom("1.2.3.4", "lbl") }),
        fc.record({ type: fc.constant(CommandType.KEY_REVOKE), clientOrderId: fc.constantFrom("k1", "k2") }),
      ),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(ops, ops, (before, after) => {
        const a = world();
        let t = 1_000;
        for (const op of before) run(a, op as CommandInit, t++);
        const b = readExchangeSnapshot(writeExchangeSnapshot(a));
        expect(b.identity.toRecord()).toEqual(a.identity.toRecord());
        for (const op of after) {
          const t1 = t++;
          expect(run(b, op as CommandInit, t1)).toBe(run(a, op as CommandInit, t1));
        }
        expect(writeExchangeSnapshot(b)).toEqual(writeExchangeSnapshot(a));
        expect(Identity.fromRecord(a.identity.toRecord()).toRecord()).toEqual(a.identity.toRecord());
      }),
      { numRuns: 200 },
    );
  });
});
