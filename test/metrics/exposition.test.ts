import { describe, expect, test } from "bun:test";
import { Exposition } from "../../metrics/exposition.ts";
import { Histogram } from "../../metrics/histogram.ts";
import { MetricsRegistry } from "../../metrics/registry.ts";
import { parseExposition, seriesKey } from "./exposition-parse.ts";

describe("metrics/", () => {
  test("a histogram files each value in the first bucket whose bound it does not pass, and writes cumulative buckets", () => {
    const h = new Histogram(new Float64Array([1, 5, 10]), new Float64Array(Histogram.cells([1, 5, 10])));
    for (const v of [0.5, 1, 3, 5, 7, 100]) h.observe(v);
    expect(h.count).toBe(6);
    expect(h.sum).toBe(116.5);
    const s = parseExposition(new Exposition().family("bourse_x_seconds", "histogram", "x").histogram("bourse_x_seconds", h, [["door", "ws"]]).text());
    const bucket = (le: string) => s.series.get(seriesKey("bourse_x_seconds_bucket", { door: "ws", le }));
    expect([bucket("1"), bucket("5"), bucket("10"), bucket("+Inf")]).toEqual([2, 4, 5, 6]);
    expect(s.series.get(seriesKey("bourse_x_seconds_count", { door: "ws" }))).toBe(6);
  });

  test("label values are escaped", () => {
    const text = new Exposition().family("bourse_y", "gauge", "y").sample("bourse_y", 1, [["venue", 'a"b\\c']]).text();
    expect(text).toContain('bourse_y{venue="a\\"b\\\\c"} 1');
    expect(parseExposition(text).series.size).toBe(1);
  });

  test("the test's reader refuses what Prometheus would refuse", () => {
    expect(() => parseExposition("bourse_z 1\n")).toThrow(/before its TYPE/);
    expect(() => parseExposition("# TYPE bourse_z gauge\nbourse_z 1\nbourse_z 2\n")).toThrow(/repeated/);
    expect(() => parseExposition('# TYPE bourse_h histogram\nbourse_h_bucket{le="1"} 3\nbourse_h_bucket{le="+Inf"} 2\nbourse_h_sum 1\nbourse_h_count 2\n')).toThrow(/cumulative/);
    expect(() => parseExposition("# TYPE bourse_z gauge\nbourse_z one\n")).toThrow(/bad value/);
  });

  test("a collector that throws loses its own lines, not the scrape", () => {
    const r = new MetricsRegistry();
    r.add((w) => w.family("bourse_a", "gauge", "a").sample("bourse_a", 1));
    r.add((w) => {
      w.family("bourse_b", "gauge", "b");
      throw new Error("stopping");
    });
    const s = parseExposition(r.render());
    expect([...s.types.keys()]).toEqual(["bourse_a"]);
  });
});
