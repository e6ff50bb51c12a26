/**
 * The examples in ops/ (docs/metrics.md) read only what a running server serves: every bourse_
 * name in the Grafana dashboard's queries and in the Prometheus alert rules is in a real scrape, and
 * the rules have the shape Prometheus loads (group, alert, expr, for, severity, summary, a runbook
 * anchor). There is no promtool here and Bun has no YAML parser: alerts.yml keeps to a subset (one
 * key per line, one-line expressions) that the reader below checks line by line.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../app/config.ts";
import { serve } from "../../app/serve.ts";
import { silentLogger } from "../../log/logger.ts";
import { parseExposition, type Scrape } from "./exposition-parse.ts";

const ROOT = join(import.meta.dir, "../..");
const ANCHORS = ["engine-stopped", "fsync-slow", "history-lag", "reconciliation-break", "login-failures", "venue-outage", "stuck-subscriber", "full-disk"];

/** Every bourse_ identifier in a PromQL expression (metric names; label names never start with bourse_). */
export function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bbourse_[a-z0-9_]+/g)].map((m) => m[0]);
}

interface Rule {
  alert: string;
  expr: string;
  for: string;
  severity: string;
  summary: string;
  runbook: string;
}

/** The rules of alerts.yml, read from its subset of YAML; throws naming the line it cannot place. */
function readRules(text: string): { groups: string[]; rules: Rule[] } {
  const groups: string[] = [];
  const rules: Rule[] = [];
  let rule: Partial<Rule> | null = null;
  let section: "labels" | "annotations" | null = null;
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const m = /^( *)(- )?([a-z_]+):(?: (.*))?$/.exec(line);
    if (!m) throw new Error(`alerts.yml line ${i + 1}: not "key: value": ${line}`);
    const [, indent, dash, key, raw] = m;
    const value = unquote(raw ?? "");
    const depth = indent!.length;
    if (depth === 0 && key === "groups" && !dash) continue;
    if (depth === 2 && dash && key === "name") {
      groups.push(value);
      continue;
    }
    if (depth === 4 && key === "rules") continue;
    if (depth === 6 && dash && key === "alert") {
      rule = { alert: value };
      rules.push(rule as Rule);
      section = null;
      continue;
    }
    if (rule === null) throw new Error(`alerts.yml line ${i + 1}: outside a rule: ${line}`);
    if (depth === 8 && (key === "expr" || key === "for")) rule[key] = value;
    else if (depth === 8 && (key === "labels" || key === "annotations") && raw === undefined) section = key;
    else if (depth === 10 && section === "labels" && key === "severity") rule.severity = value;
    else if (depth === 10 && section === "annotations" && key === "summary") rule.summary = value;
    else if (depth === 10 && section === "annotations" && key === "runbook_url") rule.runbook = value;
    else throw new Error(`alerts.yml line ${i + 1}: unexpected here: ${line}`);
  }
  return { groups, rules };
}

function unquote(v: string): string {
  return v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** Every query of the dashboard (panels inside rows too). */
function dashboardExprs(d: { panels: { targets?: { expr: string }[]; panels?: unknown[] }[] }): string[] {
  const out: string[] = [];
  const walk = (ps: { targets?: { expr: string }[]; panels?: unknown[] }[]) => {
    for (const p of ps) {
      for (const t of p.targets ?? []) out.push(t.expr);
      if (p.panels) walk(p.panels as typeof ps);
    }
  };
  walk(d.panels);
  return out;
}

describe("ops/", () => {
  let dir: string;
  let running: Awaited<ReturnType<typeof serve>>;
  let scrape: Scrape;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bourse-ops-"));
    running = await serve({ dataDir: dir, config: loadConfig(join(ROOT, "config/demo.json")), workers: 0, port: 0, host: "127.0.0.1", log: silentLogger });
    scrape = parseExposition(await (await fetch(`http://127.0.0.1:${running.gateway.server.port}/metrics`)).text());
  });
  afterAll(async () => {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Names a query may use: sample names (with _bucket, _sum, _count) and declared families. */
  const served = () => new Set([...scrape.names, ...scrape.types.keys()]);

  test("the alert rules have the shape Prometheus loads, a severity and a runbook anchor", () => {
    const { groups, rules } = readRules(readFileSync(join(ROOT, "ops/prometheus/alerts.yml"), "utf8"));
    expect(groups).toEqual(["bourse"]);
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const r of rules) {
      expect({ alert: r.alert, ok: /^[A-Z][A-Za-z]+$/.test(r.alert) && metricNames(r.expr).length > 0 && /^\d+[smhd]$/.test(r.for) && ["critical", "warning"].includes(r.severity) && r.summary?.length > 10 }).toEqual({ alert: r.alert, ok: true });
      const anchor = /^docs\/runbook\.md#([a-z-]+)$/.exec(r.runbook)?.[1];
      expect({ alert: r.alert, anchor: ANCHORS.includes(anchor ?? "") }).toEqual({ alert: r.alert, anchor: true });
    }
    // Every anchor the runbook is asked to hold has at least one rule.
    expect(new Set(rules.map((r) => r.runbook.split("#")[1]))).toEqual(new Set(ANCHORS));
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  test("every bourse_ name in the alert rules is served by /metrics", () => {
    const { rules } = readRules(readFileSync(join(ROOT, "ops/prometheus/alerts.yml"), "utf8"));
    const names = served();
    const missing = rules.flatMap((r) => metricNames(r.expr).filter((n) => !names.has(n)).map((n) => `${r.alert}: ${n}`));
    expect(missing).toEqual([]);
  });

  test("every bourse_ name in the Grafana dashboard is served by /metrics", () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, "ops/grafana/bourse-dashboard.json"), "utf8"));
    expect(dashboard.uid).toBe("bourse-overview");
    const exprs = dashboardExprs(dashboard);
    expect(exprs.length).toBeGreaterThan(20);
    const names = served();
    const missing = exprs.flatMap((e) => metricNames(e).filter((n) => !names.has(n)).map((n) => `${n} in ${e}`));
    expect(missing).toEqual([]);
    // Balanced parentheses: a cheap guard against a query cut short.
    for (const e of exprs) expect({ e, depth: [...e].reduce((d, c) => (d < 0 ? d : d + (c === "(" ? 1 : c === ")" ? -1 : 0)), 0) }).toEqual({ e, depth: 0 });
  });

  test("docs/metrics.md lists every metric family /metrics serves, and no other", () => {
    const doc = readFileSync(join(ROOT, "docs/metrics.md"), "utf8");
    const listed = new Set([...doc.matchAll(/^\| `(bourse_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!));
    expect([...scrape.types.keys()].filter((n) => !listed.has(n))).toEqual([]);
    // Families the test server has no part for (venues, a reconciliation run) are declared anyway, so all are in a scrape.
    expect([...listed].filter((n) => !scrape.types.has(n))).toEqual([]);
  });

  test("the name reader finds the bourse_ names of a query and nothing else", () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(bourse_journal_fsync_seconds_bucket{door="ws"}[5m]))) > bourse_x_total')).toEqual(["bourse_journal_fsync_seconds_bucket", "bourse_x_total"]);
  });
});
