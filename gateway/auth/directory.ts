import type { Sequencer } from "../../actors/sequencer.ts";
import { InvalidCommandError } from "../../actors/command-check.ts";
import { EngineStoppedError } from "../../actors/stop-listeners.ts";
import { UNAVAILABLE } from "../order-entry/order-entry-types.ts";
import { Command, type CommandInit, CommandType, makeCommand } from "../../engine/commands.ts";
import { AccountEvent, EventType, Rejected } from "../../engine/events.ts";
import { Identity, type IdentityRecord, isIdentityCommand, type Key, ScopeBit } from "../../engine/identity.ts";
import { Reason, type ReasonCode } from "../../engine/reasons.ts";
import { DeliveredEvents } from "../../actors/delivered-events.ts";
import type { Logger } from "../../log/logger.ts";
import { type ApiKey, ApiKeys, type Scope } from "./keys.ts";
import type { SecretBox } from "./secret-box.ts";


/** The engine's answer: for an account command its ACCOUNT event's subject (a currency, symbol or user id) and withdrawal id. */
export type Submitted = { ok: true; seq: number; time: number; subject: number; withdrawal: number } | { ok: false; reason: number };

/** Tokens this module submits under: below any other submitter's (order entry counts up from 1, the seed uses -8). */
const FIRST_TOKEN = -1_000_000;

const SCOPE_BITS: Record<Scope, number> = { read: ScopeBit.READ, trade: ScopeBit.TRADE, withdraw: ScopeBit.WITHDRAW };

export function scopeBits(scopes: readonly Scope[]): number {
  let bits = 0;
  for (const s of scopes) bits |= SCOPE_BITS[s];
  return bits;
}

export function scopesOf(bits: number): Scope[] {
  return (Object.keys(SCOPE_BITS) as Scope[]).filter((s) => (bits & SCOPE_BITS[s]) !== 0);
}

/**
 * The doors' copy of the journaled identity (engine/identity.ts): users and API keys as the engine
 * holds them, kept current by folding each identity command this process submits once the journal
 * has made it durable — the same fold the engine ran, in the same order, so both agree. Identity
 * commands come only through `submit` here: every change of users and keys has one path.
 *
 * It also keeps the door-facing key table (ApiKeys, with secrets opened from their sealed form),
 * and tells listeners of a revocation so live connections of a revoked key are closed at once.
 */
export class Directory {
  readonly identity: Identity;
  readonly keys: ApiKeys;
  private nextToken = FIRST_TOKEN;
  private readonly waiting = new Map<number, { cmd: Command; done: (r: Submitted) => void }>();
  private readonly revokeListeners = new Set<(keyId: string) => void>();
  private readonly reader = new DeliveredEvents();

  /**
   * `record`: the identity as recovered. `configured`: per key id what only the configuration says
   * of a key (its FIX CompIDs). A sealed secret the box cannot open is a master key that does not
   * belong to this data directory: refused at once (SecretBox throws), never guessed.
   */
  constructor(
    private readonly sequencer: Sequencer,
    record: IdentityRecord,
    private readonly box: SecretBox,
    private readonly configured: ReadonlyMap<string, Pick<ApiKey, "fixCompIds">> = new Map(),
    private readonly log?: Logger,
  ) {
    this.identity = Identity.fromRecord(record);
    this.keys = new ApiKeys();
    for (const k of this.identity.keys.values()) if (k.revoked === 0) this.keys.add(this.doorKey(k));
  }

  /** Listens to deliveries; returns the unsubscribe. */
  listen(): () => void {
    // An engine that stops answers everything still waiting: nothing more will be delivered.
    const offStop = this.sequencer.onStop(() => {
      const left = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of left) w.done({ ok: false, reason: UNAVAILABLE });
    });
    const offDelivery = this.sequencer.onDelivery((seq, token, events, from, to, time) => {
      if (token > FIRST_TOKEN) return;
      const w = this.waiting.get(token);
      if (!w) return;
      this.waiting.delete(token);
      const r = this.reader.set(seq, token, events, from, to, time);
      // A halt, resume, market data status or an operator's venue correction answers with no ACCOUNT
      // event (a STATUS, a TRADE, or none when nothing changed): it took effect unless refused.
      const t = w.cmd.type;
      const control = t === CommandType.HALT || t === CommandType.RESUME || t === CommandType.MARKET_DATA_STATUS || t === CommandType.VENUE_FILL || t === CommandType.VENUE_DONE;
      let result: Submitted = control ? { ok: true, seq, time, subject: w.cmd.symbol, withdrawal: 0 } : { ok: false, reason: Reason.UNKNOWN_COMMAND };
      while (r.next()) {
        if (r.type === EventType.REJECTED) result = { ok: false, reason: Rejected.reason(r.data, r.at) };
        else if (r.type === EventType.ACCOUNT) result = { ok: true, seq, time, subject: AccountEvent.subject(r.data, r.at), withdrawal: AccountEvent.withdrawal(r.data, r.at) };
      }
      // Only identity commands are the copy's to fold: an account or market command has nothing in it.
      if (result.ok && isIdentityCommand(w.cmd.type)) this.fold(w.cmd, time);
      w.done(result);
    });
    return () => {
      offStop();
      offDelivery();
    };
  }

  /**
   * Submits an identity (or account, or market-control) command and resolves with the engine's answer once it is
   * durable; a command the journal cannot hold or an engine that has stopped answers at once.
   */
  submit(init: CommandInit): Promise<Submitted> {
    const cmd = makeCommand(init);
    const token = this.nextToken--;
    return new Promise<Submitted>((resolve) => {
      this.waiting.set(token, { cmd, done: resolve });
      try {
        this.sequencer.submit(cmd, token);
      } catch (e) {
        this.waiting.delete(token);
        if (e instanceof InvalidCommandError) return resolve({ ok: false, reason: e.reason });
        if (e instanceof EngineStoppedError) return resolve({ ok: false, reason: UNAVAILABLE });
        throw e;
      }
    });
  }

  /** Calls `fn` with the key id of each key revoked from now on. */
  onRevoke(fn: (keyId: string) => void): () => void {
    this.revokeListeners.add(fn);
    return () => this.revokeListeners.delete(fn);
  }

  /** Seals a key's secret for KEY_ADD: it opens only as that key's (the key id is the sealing context). */
  sealKeySecret(keyId: string, secret: string): string {
    return this.box.seal(secret, keyContext(keyId));
  }

  /** Opens a sealed secret of this directory's records (a TOTP secret, a key's secret) under its context. */
  open(sealed: string, context: string): string {
    return this.box.open(sealed, context);
  }

  private fold(cmd: Command, time: number): void {
    // The engine accepted it: the same fold gives the same state.
    const reason: ReasonCode = this.identity.apply(cmd, time, () => true);
    if (reason !== Reason.OK) {
      this.log?.error("the doors' identity copy refused a command the engine accepted", { type: cmd.type, reason });
      return;
    }
    const id = cmd.clientOrderId;
    const key = this.identity.keys.get(id);
    switch (cmd.type) {
      case CommandType.KEY_ADD:
      case CommandType.KEY_SET:
        if (key && key.revoked === 0) this.keys.replace(this.doorKey(key));
        break;
      case CommandType.KEY_REVOKE:
        this.keys.remove(id);
        for (const fn of this.revokeListeners) fn(id);
        break;
    }
  }

  private doorKey(k: Key): ApiKey {
    const fixCompIds = this.configured.get(k.id)?.fixCompIds;
    return {
      id: k.id,
      account: k.account,
      secret: this.open(k.secret, keyContext(k.id)),
      scopes: scopesOf(k.scopes),
      ...(k.allowIps.length > 0 ? { allowIps: k.allowIps } : {}),
      ...(k.label !== "" ? { label: decodeURIComponent(k.label) } : {}),
      ...(fixCompIds ? { fixCompIds } : {}),
    };
  }
}

const keyContext = (keyId: string) => `key:${keyId}`;
