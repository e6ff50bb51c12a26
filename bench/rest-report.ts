/**
 * bench/rest.ts's figures: the tables on stderr and the `--json` object. Ratios are the exchange's
 * over the raw handler's (GETs) and the REST door's over the WebSocket door's (orders).
 */
import type { Percentiles } from "./kit/histogram.ts";
import { int, latencyJson, ms, table } from "./kit/report.ts";
import type { LoadRun } from "./rest-load.ts";
import type { RunResult } from "./ws-drive.ts";

export interface GetCase {
  name: string;
  path: string;
  auth: "public" | "bearer" | "signed";
  /** The answer's body, bytes (both servers answer the same JSON). */
  bytes?: number;
}

export interface GetResult {
  case: GetCase;
  raw: LoadRun;
  bourse: LoadRun;
  /** µs per request through each server's handler in its own process, no sockets (bench/rest-server.ts, inproc). */
  inProcessUs?: { raw: number; bourse: number };
}

export interface OrderResult {
  connections: number;
  account: string;
  rest: LoadRun;
  ws: RunResult;
  wsServerUsPerAnswer: number;
  wsHostBusy: number;
  /** Commands journaled per fdatasync over each door's run. */
  restPerSync: number;
  wsPerSync: number;
}

interface Shape {
  connections: number;
  seconds: number;
  warmup: number;
  rounds: number;
  postSeconds: number;
  postConnections: number;
  resting: number;
}

const x = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? a / b : NaN);
const fx = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : "–");
const us = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "–");
const lat = (p: Percentiles | null | undefined) => [ms(p?.p50), ms(p?.p99), ms(p?.max)];

export function reportTables(o: Shape, gets: GetResult[], orders: OrderResult[]): string {
  const out: string[] = [];
  out.push(`GETs: ${o.connections} connections, ${o.seconds} s a run after ${o.warmup} s of warm-up, ${o.rounds === 1 ? "one round" : `medians of ${o.rounds} rounds`}; latency in ms; CPU µs per response`);
  out.push(
    table(
      ["GET /api/v1/…", "body B", "raw /s", "Bourse /s", "× raw", "raw p50", "p99", "max", "Bourse p50", "p99", "max", "srv CPU raw", "Bourse", "raw ÷ Bourse", "gen CPU", "host"],
      gets.map((g) => [
        g.case.name,
        String(g.case.bytes ?? "–"),
        int(g.raw.perSecond),
        int(g.bourse.perSecond),
        fx(x(g.bourse.perSecond, g.raw.perSecond)),
        ...lat(g.raw.latency),
        ...lat(g.bourse.latency),
        us(g.raw.serverUsPerResponse),
        us(g.bourse.serverUsPerResponse),
        fx(x(g.raw.serverUsPerResponse, g.bourse.serverUsPerResponse)),
        us(g.bourse.generatorUsPerResponse),
        g.bourse.hostBusy?.toFixed(2) ?? "–",
      ]),
    ),
  );
  out.push("× raw: responses/s of the exchange over the raw handler's, same requests, connections and duration. raw ÷ Bourse: the servers' CPU per response, i.e. the ratio a run would show with a core to spare for the generator. gen CPU: the load generator's (this process) per response; host: busy cores of the machine.");
  if (gets.some((g) => g.inProcessUs)) {
    out.push("");
    out.push("in process (each server's handler called in its own process: no sockets, no HTTP parsing; the request built, signed if so, and its answer read on both): µs per request");
    out.push(table(["GET /api/v1/…", "raw", "Bourse", "Bourse − raw"], gets.filter((g) => g.inProcessUs).map((g) => [g.case.name, us(g.inProcessUs!.raw), us(g.inProcessUs!.bourse), us(g.inProcessUs!.bourse - g.inProcessUs!.raw)])));
  }
  if (orders.length > 0) {
    out.push("");
    out.push(`orders on the same exchange, fsync on: closed loops, one request outstanding per connection, ${o.postSeconds} s after ${o.warmup} s of warm-up; place→answer = POST /orders → 201 and NEW_ORDER → ACK; cancel = DELETE /orders/{id} → 200 and CANCEL → CANCELLED`);
    const rows: string[][] = [];
    for (const r of orders) {
      rows.push([`REST, ${r.connections} conn (${r.account})`, int(r.rest.perSecond), ...placeCells(r.rest.byKind[0]), ms(r.rest.byKind[1]?.p50), ms(r.rest.byKind[1]?.p99), us(r.rest.serverUsPerResponse), us(r.restPerSync), r.rest.hostBusy?.toFixed(2) ?? "–"]);
      rows.push([`WebSocket, ${r.connections} conn (${r.account})`, int(r.ws.achieved), ...placeCells(r.ws.orders), ms(r.ws.cancels?.p50), ms(r.ws.cancels?.p99), us(r.wsServerUsPerAnswer), us(r.wsPerSync), r.wsHostBusy.toFixed(2)]);
    }
    out.push(table(["door, connections", "answers/s", "place p50", "p90", "p99", "p99.9", "max", "cancel p50", "p99", "srv CPU µs/answer", "cmds/sync", "host"], rows));
    for (const r of orders) {
      const p = r.rest.byKind[0];
      out.push(`${r.connections} conn: REST ÷ WebSocket — place→answer p50 ${fx(x(p?.p50 ?? NaN, r.ws.orders?.p50 ?? NaN))}, p99 ${fx(x(p?.p99 ?? NaN, r.ws.orders?.p99 ?? NaN))}; answers/s ${fx(x(r.rest.perSecond, r.ws.achieved))}; server CPU per answer ${fx(x(r.rest.serverUsPerResponse, r.wsServerUsPerAnswer))}`);
    }
  }
  return out.join("\n");
}

const placeCells = (p: Percentiles | null | undefined) => [ms(p?.p50), ms(p?.p90), ms(p?.p99), ms(p?.p99_9), ms(p?.max)];

const loadJson = (r: LoadRun) => ({
  per_s: Math.round(r.perSecond),
  responses: r.responses,
  seconds: r.seconds,
  latency: latencyJson(r.latency),
  statuses: r.statuses,
  errors: r.errors,
  server_cpu_us_per_response: +r.serverUsPerResponse.toFixed(2),
  generator_cpu_us_per_response: +r.generatorUsPerResponse.toFixed(2),
  host_busy_cores: r.hostBusy === undefined ? null : +r.hostBusy.toFixed(2),
});

const ratio = (a: number, b: number) => {
  const r = x(a, b);
  return Number.isFinite(r) ? +r.toFixed(3) : null;
};

export function reportJson(o: Shape, gets: GetResult[], orders: OrderResult[], failures: string[], wallS: number) {
  return {
    bench: "rest",
    bun: Bun.version,
    cores: navigator.hardwareConcurrency,
    connections: o.connections,
    seconds: o.seconds,
    warmup_s: o.warmup,
    rounds: o.rounds,
    resting_per_side: o.resting,
    gets: gets.map((g) => ({
      name: g.case.name,
      path: g.case.path,
      auth: g.case.auth,
      body_bytes: g.case.bytes ?? null,
      raw: loadJson(g.raw),
      bourse: loadJson(g.bourse),
      ratio_per_s_vs_raw: ratio(g.bourse.perSecond, g.raw.perSecond),
      ratio_server_cpu_raw_over_bourse: ratio(g.raw.serverUsPerResponse, g.bourse.serverUsPerResponse),
      in_process_us: g.inProcessUs ? { raw: +g.inProcessUs.raw.toFixed(2), bourse: +g.inProcessUs.bourse.toFixed(2) } : null,
    })),
    orders: orders.map((r) => ({
      connections: r.connections,
      account: r.account,
      seconds: o.postSeconds,
      rest: { ...loadJson(r.rest), place: latencyJson(r.rest.byKind[0]), cancel: latencyJson(r.rest.byKind[1]) },
      ws: {
        answers_per_s: Math.round(r.ws.achieved),
        answered: r.ws.answered,
        rejects: r.ws.rejects,
        errors: r.ws.errors,
        place: latencyJson(r.ws.orders),
        cancel: latencyJson(r.ws.cancels),
        server_cpu_us_per_answer: +r.wsServerUsPerAnswer.toFixed(2),
        host_busy_cores: +r.wsHostBusy.toFixed(2),
      },
      commands_per_sync: { rest: Number.isFinite(r.restPerSync) ? +r.restPerSync.toFixed(2) : null, ws: Number.isFinite(r.wsPerSync) ? +r.wsPerSync.toFixed(2) : null },
      ratio_place_p50_rest_vs_ws: ratio(r.rest.byKind[0]?.p50 ?? NaN, r.ws.orders?.p50 ?? NaN),
      ratio_place_p99_rest_vs_ws: ratio(r.rest.byKind[0]?.p99 ?? NaN, r.ws.orders?.p99 ?? NaN),
      ratio_answers_per_s_rest_vs_ws: ratio(r.rest.perSecond, r.ws.achieved),
    })),
    failures,
    wall_s: +wallS.toFixed(1),
  };
}
