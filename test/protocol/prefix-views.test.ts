import { describe, expect, test } from "bun:test";
import { PrefixViews } from "../../protocol/prefix-views.ts";

describe("PrefixViews", () => {
  test("one view per length, showing the buffer's current bytes; a reset forgets them", () => {
    const a = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const v = new PrefixViews();
    const three = v.of(a, 3);
    expect([...three]).toEqual([1, 2, 3]);
    expect(v.of(a, 3)).toBe(three);
    a[0] = 9;
    expect([...v.of(a, 3)]).toEqual([9, 2, 3]);
    // 3 and 19 share a slot: the later length replaces the view, and the earlier is made again.
    const big = new Uint8Array(32).fill(7);
    const w = new PrefixViews();
    expect(w.of(big, 19).length).toBe(19);
    expect(w.of(big, 3).length).toBe(3);
    const b = new Uint8Array([4, 4, 4]);
    v.reset();
    expect([...v.of(b, 3)]).toEqual([4, 4, 4]);
  });
});
