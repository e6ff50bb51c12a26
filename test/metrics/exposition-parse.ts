/**
 * A strict reader of the Prometheus text format (0.0.4) for the tests: every line is a HELP, a TYPE
 * or a sample; every sample belongs to a family declared by a TYPE before it; names and labels are
 * well formed; no series appears twice; a histogram's buckets are cumulative, end at +Inf and
 * equal its _count. Throws naming the line at the first fault; returns the samples by series.
 */
export interface Scrape {
  /** "name{a=\"x\",b=\"y\"}" (labels sorted by name) → value. */
  series: Map<string, number>;
  /** Family name → type. */
  types: Map<string, string>;
  /** Every sample's metric name (with _bucket, _sum, _count). */
  names: Set<string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"$/;

export function parseExposition(text: string): Scrape {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("exposition: the text must end with a newline");
  const series = new Map<string, number>();
  const types = new Map<string, string>();
  const names = new Set<string>();
  const helps = new Set<string>();
  const lines = text.split("\n").slice(0, -1);
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${line}`;
    if (line.startsWith("# HELP ")) {
      const name = line.slice(7).split(" ")[0]!;
      if (!NAME.test(name) || helps.has(name)) throw new Error(`exposition: bad or repeated HELP, ${where}`);
      helps.add(name);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [name, type, extra] = line.slice(7).split(" ");
      if (!NAME.test(name!) || !["counter", "gauge", "histogram", "summary", "untyped"].includes(type!) || extra !== undefined || types.has(name!)) throw new Error(`exposition: bad or repeated TYPE, ${where}`);
      types.set(name!, type!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`exposition: not a sample, ${where}`);
    const [, name, braces, raw] = m;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : raw === "NaN" ? NaN : Number(raw);
    if (raw !== "NaN" && Number.isNaN(value)) throw new Error(`exposition: bad value, ${where}`);
    const family = familyOf(name!, types);
    if (family === null) throw new Error(`exposition: a sample before its TYPE, ${where}`);
    const labels: [string, string][] = [];
    if (braces) {
      const inner = braces.slice(1, -1);
      for (const part of inner.length === 0 ? [] : splitLabels(inner)) {
        const l = LABEL.exec(part);
        if (!l) throw new Error(`exposition: bad label ${part}, ${where}`);
        labels.push([l[1]!, l[2]!]);
      }
    }
    if (new Set(labels.map(([k]) => k)).size !== labels.length) throw new Error(`exposition: a label repeated, ${where}`);
    const key = seriesKey(name!, labels);
    if (series.has(key)) throw new Error(`exposition: series repeated, ${where}`);
    series.set(key, value);
    names.add(name!);
  }
  checkHistograms(series, types);
  return { series, types, names };
}

/** The key parseExposition files a sample under: labels sorted by name. */
export function seriesKey(name: string, labels: readonly (readonly [string, string])[] | Record<string, string> = []): string {
  const pairs = Array.isArray(labels) ? [...labels] : Object.entries(labels);
  if (pairs.length === 0) return name;
  return `${name}{${pairs.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}="${v}"`).join(",")}}`;
}

function familyOf(name: string, types: Map<string, string>): string | null {
  if (types.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === "histogram" || types.get(base) === "summary") return base;
    }
  }
  return null;
}

function splitLabels(inner: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === "\\" && quoted) {
      cur += ch + inner[++i]!;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function checkHistograms(series: Map<string, number>, types: Map<string, string>): void {
  const buckets = new Map<string, { le: number; v: number }[]>();
  for (const [key, v] of series) {
    const m = /^(\w+)_bucket\{(.*)\}$/.exec(key);
    if (!m || types.get(m[1]!) !== "histogram") continue;
    const labels = m[2]!.split(/,(?=[a-z_]+=")/);
    const le = labels.find((l) => l.startsWith("le="));
    if (!le) throw new Error(`exposition: a bucket without le: ${key}`);
    const rest = labels.filter((l) => !l.startsWith("le=")).join(",");
    const id = `${m[1]}{${rest}}`;
    const raw = le.slice(4, -1);
    buckets.set(id, [...(buckets.get(id) ?? []), { le: raw === "+Inf" ? Infinity : Number(raw), v }]);
  }
  for (const [id, bs] of buckets) {
    bs.sort((a, b) => a.le - b.le);
    for (let i = 1; i < bs.length; i++) if (bs[i]!.v < bs[i - 1]!.v) throw new Error(`exposition: buckets not cumulative in ${id}`);
    if (bs[bs.length - 1]!.le !== Infinity) throw new Error(`exposition: no +Inf bucket in ${id}`);
    const name = id.slice(0, id.indexOf("{"));
    const labels = id.slice(id.indexOf("{"));
    const count = series.get(labels === "{}" ? `${name}_count` : `${name}_count${labels}`);
    if (count !== bs[bs.length - 1]!.v) throw new Error(`exposition: +Inf bucket ${bs[bs.length - 1]!.v} is not _count ${count} in ${id}`);
  }
}
