import type { RecoveredOrder } from "../../actors/recovered-state.ts";
import { isDone } from "../../engine/orders.ts";

/**
 * What a door knows of an order: enough to answer status requests and route execution reports.
 * The same fields as a recovered open order, plus who it reports to.
 */
export interface OrderInfo extends RecoveredOrder {
  /** Session that placed it (or last re-sent it), 0 once that session is gone. */
  session: number;
}

/**
 * The gateway's read model of orders, kept from the events it delivers (so it works the same with
 * the engine on this thread or in a worker). Open orders are kept; done ones stay for a while so
 * a client can still ask about them, the oldest leaving first.
 */
export class OrderBookkeeping {
  private readonly byId = new Map<number, OrderInfo>();
  private readonly byClientId = new Map<string, number>();
  private readonly bySession = new Map<number, Set<number>>();
  /** Open orders by account, whichever session placed them (the REST door lists them). */
  private readonly openByAccount = new Map<number, Set<number>>();
  private readonly done: number[] = [];
  private doneHead = 0;

  constructor(private readonly keepDone = 100_000) {}

  get(orderId: number): OrderInfo | undefined {
    return this.byId.get(orderId);
  }

  byClient(account: number, clientOrderId: string): OrderInfo | undefined {
    const id = this.byClientId.get(`${account}/${clientOrderId}`);
    return id === undefined ? undefined : this.byId.get(id);
  }

  add(o: OrderInfo): void {
    this.byId.set(o.orderId, o);
    if (!isDone(o.state)) {
      let set = this.openByAccount.get(o.account);
      if (!set) this.openByAccount.set(o.account, (set = new Set()));
      set.add(o.orderId);
    }
    if (o.clientOrderId !== "") this.byClientId.set(`${o.account}/${o.clientOrderId}`, o.orderId);
    if (o.session !== 0) this.own(o, o.session);
  }

  /** The order now reports to `session` (a client re-sent it after reconnecting). */
  own(o: OrderInfo, session: number): void {
    if (o.session !== 0) this.bySession.get(o.session)?.delete(o.orderId);
    o.session = session;
    let set = this.bySession.get(session);
    if (!set) this.bySession.set(session, (set = new Set()));
    set.add(o.orderId);
  }

  /** Open orders a session placed (for cancel-on-disconnect). */
  openOf(session: number): OrderInfo[] {
    const out: OrderInfo[] = [];
    for (const id of this.bySession.get(session) ?? []) {
      const o = this.byId.get(id);
      if (o && o.leaves > 0) out.push(o);
    }
    return out;
  }

  /** An account's open orders, oldest first. */
  openOfAccount(account: number): OrderInfo[] {
    const out: OrderInfo[] = [];
    for (const id of this.openByAccount.get(account) ?? []) {
      const o = this.byId.get(id);
      if (o && !isDone(o.state)) out.push(o);
    }
    return out;
  }

  /** The session is gone: its orders report to nobody until a client claims them again. */
  forgetSession(session: number): void {
    for (const id of this.bySession.get(session) ?? []) {
      const o = this.byId.get(id);
      if (o) o.session = 0;
    }
    this.bySession.delete(session);
  }

  /** Called when an order reaches a done state. */
  finished(o: OrderInfo): void {
    if (!isDone(o.state)) return;
    if (o.session !== 0) this.bySession.get(o.session)?.delete(o.orderId);
    const open = this.openByAccount.get(o.account);
    if (open) {
      open.delete(o.orderId);
      if (open.size === 0) this.openByAccount.delete(o.account);
    }
    this.done.push(o.orderId);
    while (this.done.length - this.doneHead > this.keepDone) {
      const id = this.done[this.doneHead++]!;
      const old = this.byId.get(id);
      if (old) {
        this.byId.delete(id);
        if (old.clientOrderId !== "" && this.byClientId.get(`${old.account}/${old.clientOrderId}`) === id) this.byClientId.delete(`${old.account}/${old.clientOrderId}`);
      }
    }
    if (this.doneHead > 4096 && this.doneHead * 2 > this.done.length) {
      this.done.splice(0, this.doneHead);
      this.doneHead = 0;
    }
  }
}
