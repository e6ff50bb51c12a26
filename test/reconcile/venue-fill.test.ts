/** Canonical decimal text (reconcile/venue-fill.ts): one text for one number, so fills compare as strings. */
import { expect, test } from "bun:test";
import { canonical } from "../../reconcile/venue-fill.ts";

test("equal numbers, equal text", () => {
  const cases: [string, string][] = [["5", "5"], ["5.50", "5.5"], ["05.5", "5.5"], ["0.000", "0"], ["000", "0"], ["0.10", "0.1"], ["10", "10"], ["10.0", "10"], ["-0.0", "0"], ["-1.50", "-1.5"], ["30003.5", "30003.5"], ["0.004", "0.004"]];
  for (const [input, want] of cases) expect([input, canonical(input)]).toEqual([input, want]);
});
