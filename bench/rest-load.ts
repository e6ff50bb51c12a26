/**
 * bench/rest.ts's load: autocannon (its programmatic API, in this process, so a server child has
 * its own thread) driving one server at a time, and the requests it sends.
 *
 * autocannon's own latency histogram holds whole milliseconds; every response's time is also
 * taken from its `response` event (float ms, send to last byte parsed) into our histogram (ns), by
 * request kind when a sequence has several (place, cancel). Throughput is responses per second of
 * the measured run; the server's and this process's CPU time over it are divided by the responses,
 * which shows each side's cost whatever the other one manages.
 */
import autocannon, { type Request } from "autocannon";
import { signRequest } from "../protocol/rest-signature.ts";
import type { Child } from "./kit/child.ts";
import { type Percentiles, summarize } from "./kit/histogram.ts";

export interface Credentials {
  /** A user's session: `Authorization: Bearer <token>`. */
  bearer?: string;
  /** An API key: every request signed afresh (HMAC over timestamp, method, path, body). */
  key?: { id: string; secret: string };
}

export interface LoadRun {
  seconds: number;
  responses: number;
  perSecond: number;
  /** Response times of every request (ns), and per kind when the sequence has several. */
  latency: Percentiles;
  byKind: Percentiles[];
  /** Responses by status ("200": n). */
  statuses: Record<string, number>;
  /** autocannon's connection errors and timeouts. */
  errors: number;
  /** CPU time per response (µs): the server's process (every thread), and this process (the load generator). */
  serverUsPerResponse: number;
  generatorUsPerResponse: number;
  /** Busy cores of the whole machine over the run (other tenants included), when the caller measured it. */
  hostBusy?: number;
}

const cpuOf = async (server: Child) => {
  const m = await server.ask({ kind: "cpu" }, "cpu");
  return (m.user as number) + (m.system as number);
};

/**
 * `connections` connections, each a closed loop over `requests` (one request outstanding) for
 * `seconds`; `kinds` > 1 when the sequence's requests are timed apart (request i is kind i).
 */
export async function drive(o: { url: string; server: Child; connections: number; seconds: number; requests: Request[]; kinds?: number }): Promise<LoadRun> {
  const kinds = o.kinds ?? 1;
  const all: number[] = [];
  const byKind: number[][] = Array.from({ length: kinds }, () => []);
  Bun.gc(true);
  const server0 = await cpuOf(o.server);
  const gen0 = process.cpuUsage();
  const run = autocannon({ url: o.url, connections: o.connections, duration: o.seconds, requests: o.requests, timeout: 30 });
  run.on("response", (client, _status, _bytes, ms) => {
    const ns = ms * 1e6;
    all.push(ns);
    if (kinds > 1) byKind[client.requestIterator.currentRequestIndex]!.push(ns);
  });
  const r = await run;
  const gen = process.cpuUsage(gen0);
  const server = (await cpuOf(o.server)) - server0;
  const responses = all.length;
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats)) statuses[code] = s.count;
  return {
    seconds: r.duration,
    responses,
    perSecond: responses / r.duration,
    latency: summarize(Float64Array.from(all)),
    byKind: kinds > 1 ? byKind.map((xs) => summarize(Float64Array.from(xs))) : [],
    statuses,
    errors: r.errors + r.timeouts,
    serverUsPerResponse: responses ? server / responses : NaN,
    generatorUsPerResponse: responses ? (gen.user + gen.system) / responses : NaN,
  };
}

/** Responses that were not `ok` (the expected statuses), as "404 ×3" lines; "" when none. */
export function unexpected(run: LoadRun, ok: readonly string[]): string {
  const bad = Object.entries(run.statuses).filter(([code]) => !ok.includes(code));
  const parts = bad.map(([code, n]) => `${code} ×${n}`);
  if (run.errors > 0) parts.push(`${run.errors} connection errors or timeouts`);
  return parts.join(", ");
}

/**
 * A GET of `path` as `creds` make it: the same bytes every time with a bearer token or none; with
 * a key, signed afresh for each request, its query made unique by a counter (`n`, which the route
 * ignores) since the door accepts a signature once.
 */
export function getRequest(path: string, creds: Credentials): Request {
  if (creds.bearer !== undefined) return { method: "GET", path, headers: { authorization: `Bearer ${creds.bearer}` } };
  const key = creds.key;
  if (key === undefined) return { method: "GET", path };
  let n = 0;
  const sep = path.includes("?") ? "&" : "?";
  return {
    method: "GET",
    path,
    setupRequest: (req) => {
      const target = `${path}${sep}n=${++n}`;
      req.path = target;
      req.headers = signRequest({ keyId: key.id, secret: key.secret, method: "GET", path: target }) as unknown as Record<string, string>;
      return req;
    },
  };
}

/** Which resting limit order a place sends: never crossing, a fresh client order id each. */
export interface OrderStream {
  /** The JSON body of the next order. */
  next(): string;
}

/**
 * Non-crossing 1-lot limit orders for `symbol`: buys 1–200 ticks below `ref`, sells 1–200 above
 * (when the account may sell), the offset walking so the book does not pile on one level; client
 * order ids `<prefix>-<n>`, unique within the run.
 */
export function restingOrders(o: { symbol: string; ref: number; tick: number; lot: string; canSell: boolean; prefix: string }): OrderStream {
  let n = 0;
  const decimals = Math.max(0, (String(o.tick).split(".")[1] ?? "").length);
  return {
    next() {
      n++;
      const sell = o.canSell && (n & 1) === 1;
      const off = 1 + ((n * 7) % 200);
      const price = ((sell ? o.ref + off : o.ref - off) * o.tick).toFixed(decimals);
      return `{"symbol":"${o.symbol}","side":"${sell ? "sell" : "buy"}","type":"limit","price":"${price}","qty":"${o.lot}","clientOrderId":"${o.prefix}-${n}"}`;
    },
  };
}

/**
 * Place then cancel, over and over on each connection: POST /api/v1/orders (expects 201) and
 * DELETE /api/v1/orders/{the id it answered} (200). A place that failed starts the pair over.
 * `failures` collects the first few unexpected answers.
 */
export function placeCancel(base: string, creds: Credentials, orders: OrderStream, failures: string[]): Request[] {
  const sign = (method: string, path: string, body?: string): Record<string, string> => {
    const h: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
    if (creds.bearer !== undefined) h.authorization = `Bearer ${creds.bearer}`;
    else if (creds.key) Object.assign(h, signRequest({ keyId: creds.key.id, secret: creds.key.secret, method, path, ...(body !== undefined ? { body } : {}) }));
    return h;
  };
  const note = (what: string, status: number, body: string) => {
    if (failures.length < 5) failures.push(`${what} → ${status} ${body.slice(0, 200)}`);
  };
  return [
    {
      method: "POST",
      path: `${base}/orders`,
      setupRequest: (req) => {
        const body = orders.next();
        req.method = "POST";
        req.path = `${base}/orders`;
        req.body = body;
        req.headers = sign("POST", req.path, body);
        return req;
      },
      onResponse: (status, body, context) => {
        if (status === 201) context.orderId = (JSON.parse(body) as { orderId: number }).orderId;
        else {
          context.orderId = undefined;
          note("POST /orders", status, body);
        }
      },
    },
    {
      method: "DELETE",
      path: `${base}/orders`,
      setupRequest: (req, context) => {
        if (context.orderId === undefined) return null;
        req.method = "DELETE";
        req.path = `${base}/orders/${context.orderId}`;
        req.headers = sign("DELETE", req.path);
        return req;
      },
      onResponse: (status, body) => {
        if (status !== 200) note("DELETE /orders/{id}", status, body);
      },
    },
  ];
}
