import type { Histogram } from "./histogram.ts";

/**
 * The Prometheus text exposition format (version 0.0.4), written at scrape time only: a family's
 * HELP and TYPE lines, then its samples. Label values are escaped; names are the caller's
 * constants. Numbers print as JavaScript does (`1e-05`, `NaN`, `+Inf` for the bucket bound).
 */
export class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`);
    return this;
  }

  /** One sample; `labels` as [name, value] pairs (none: no braces). */
  sample(name: string, value: number, labels: readonly (readonly [string, string])[] = []): this {
    this.lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
    return this;
  }

  /** One histogram series: cumulative buckets, +Inf, sum and count. */
  histogram(name: string, h: Histogram, labels: readonly (readonly [string, string])[] = []): this {
    const d = h.data;
    const n = h.bounds.length;
    let cumulative = 0;
    for (let i = 0; i <= n; i++) {
      cumulative += d[h.at + i]!;
      const le = i < n ? formatValue(h.bounds[i]!) : "+Inf";
      this.lines.push(`${name}_bucket${labelText([...labels, ["le", le]])} ${cumulative}`);
    }
    this.lines.push(`${name}_sum${labelText(labels)} ${formatValue(h.sum)}`, `${name}_count${labelText(labels)} ${formatValue(h.count)}`);
    return this;
  }

  text(): string {
    return this.lines.length === 0 ? "" : `${this.lines.join("\n")}\n`;
  }
}

/** The content type Prometheus expects for the text format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function labelText(labels: readonly (readonly [string, string])[]): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}
