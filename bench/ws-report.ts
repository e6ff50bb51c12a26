/**
 * bench/ws.ts's figures as progress lines, tables and JSON.
 */
import { type RunResult } from "./ws-drive.ts";
import { int, latencyJson, ms, runCountsJson, runLatencyJson, runCells } from "./kit/report.ts";
import { type Step, type OrderEntry } from "./ws-order-entry.ts";
import { type FanStep, type Fanout } from "./ws-fanout.ts";

// ---------------------------------------------------------------- formatting

/** Highest delivered frames/s of any step in which every subscriber stayed connected. */
export function peakOf(f: Fanout | null): number {
  if (!f) return NaN;
  let best = 0;
  for (const s of f.steps) if (s.stats.closed === 0 && s.mappingOk) best = Math.max(best, s.deliveredPerS);
  return best || NaN;
}



export function rejectsText(r: RunResult): string {
  const n = r.rejects + r.errors;
  return n ? int(n) : "–";
}

export function orderRows(oe: OrderEntry): string[][] {
  const row = (label: string, s: Step): string[] => {
    const r = s.run;
    return [
      label,
      ...runCells(r),
      rejectsText(r),
      s.serverCpu.toFixed(2),
      r.cpuShare.toFixed(2),
      s.hostCpu.toFixed(2),
      ms(r.lateness?.p99),
      r.mode === "open" ? (s.ok ? "ok" : s.why) + (s.retried ? " (2nd try)" : "") : "",
    ];
  };
  const rows = [row(`${oe.name} probe`, oe.probe), ...oe.steps.map((s) => row(`${oe.name}`, s))];
  if (oe.half) rows.push(row(`${oe.name} half`, oe.half));
  if (oe.atRate) rows.push(row(`${oe.name} @gw half`, oe.atRate));
  return rows;
}

export const ORDER_HEADERS = ["server / step", "offered/s", "achieved/s", "ACK p50", "p90", "p99", "p99.9", "max", "cancel p99", "refused", "srv CPU", "hrn CPU", "host CPU", "late p99", "verdict"];

export function fanRows(f: Fanout): string[][] {
  return f.steps.map((s) => {
    const st = s.stats;
    return [
      f.name,
      int(s.rate),
      int(s.offeredPerS),
      int(s.deliveredPerS),
      ms(st.lag?.p50),
      ms(st.lag?.p90),
      ms(st.lag?.p99),
      ms(st.lag?.p99_9),
      ms(st.lag?.max),
      ms(s.run.orders?.p99),
      s.serverCpu.toFixed(2),
      st.cpuShare.toFixed(2),
      s.hostCpu.toFixed(2),
      (s.ok ? "ok" : s.why) + (s.retried ? " (2nd try)" : ""),
    ];
  });
}

export const FAN_HEADERS = ["server", "cmds/s", "offered frames/s", "delivered/s", "lag p50", "p90", "p99", "p99.9", "max", "ACK p99", "srv CPU", "subs CPU", "host CPU", "verdict"];

export function stepJson(s: Step | null) {
  if (!s) return null;
  const r = s.run;
  return {
    mode: r.mode,
    ...runCountsJson(r),
    echoes: r.echoes,
    refused: r.reasons,
    ...runLatencyJson(r),
    blind_cancels: s.blind,
    server_cpu: +s.serverCpu.toFixed(3),
    harness_cpu: +r.cpuShare.toFixed(3),
    host_cpu: +s.hostCpu.toFixed(3),
    sustainable: r.mode === "open" ? s.ok : null,
    retried: s.retried,
    verdict: s.why,
  };
}

export function oeJson(oe: OrderEntry | null) {
  if (!oe) return null;
  return {
    saturated_per_s: Math.round(oe.probe.run.achieved),
    max_sustainable_per_s: oe.best ? Math.round(oe.best.run.achieved) : null,
    max_sustainable_offered_per_s: oe.best ? Math.round(oe.best.run.offered) : null,
    max_rate_cap_reached: oe.capped,
    probe: stepJson(oe.probe),
    steps: oe.steps.map(stepJson),
    half: stepJson(oe.half),
    at_gateway_half_rate: stepJson(oe.atRate),
  };
}

export function fanJson(f: Fanout | null) {
  if (!f) return null;
  const sj = (s: FanStep) => ({
    cmds_per_s: s.rate,
    commands: s.count,
    offered_frames_per_s: Math.round(s.offeredPerS),
    delivered_frames_per_s: Math.round(s.deliveredPerS),
    expected: s.stats.expected,
    delivered: s.stats.delivered,
    subscribers_alive: s.stats.alive,
    cut_off: s.stats.closed,
    gaps: s.stats.gaps,
    lag: latencyJson(s.stats.lag),
    lag_samples: s.stats.sampled,
    ack_latency: latencyJson(s.run.orders),
    server_cpu: +s.serverCpu.toFixed(3),
    subscribers_cpu: +s.stats.cpuShare.toFixed(3),
    host_cpu: +s.hostCpu.toFixed(3),
    seq_mapping_ok: s.mappingOk,
    sustainable: s.ok,
    retried: s.retried,
    verdict: s.why,
  });
  return {
    subscribers: f.subscribers,
    connect_ms: Math.round(f.connectMs),
    max_sustainable_cmds_per_s: f.best?.rate ?? null,
    max_sustainable_delivered_per_s: f.best ? Math.round(f.best.deliveredPerS) : null,
    peak_delivered_per_s: Number.isFinite(peakOf(f)) ? Math.round(peakOf(f)) : null,
    lowest_failing_cmds_per_s: f.failedAt || null,
    steps: f.steps.map(sj),
  };
}
