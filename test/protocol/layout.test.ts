/**
 * The codec compiled from the message layouts (protocol/layout.ts): the sizes it derives, the typed
 * errors it throws, and the layouts it refuses to build. The bytes themselves are checked by the
 * golden and fuzz tests beside this file.
 */
import { describe, expect, test } from "bun:test";
import { compileClientDecoder } from "../../protocol/compile-decode.ts";
import { compileEncoder, compileListBuilder } from "../../protocol/compile-encode.ts";
import { nat, str, u32 } from "../../protocol/layout.ts";
import {
  addL2Bid,
  BBO_BYTES,
  BuilderStateError,
  CANDLE_BYTES,
  encodeNewOrder,
  endL2Update,
  FieldRangeError,
  FrameWriter,
  L2_CHANGE_BYTES,
  L2_LEVEL_BYTES,
  L2_SNAPSHOT_BASE,
  L3_CHANGE_BYTES,
  L3_ORDER_BYTES,
  L3_SNAPSHOT_BASE,
  LayoutDescriptionError,
  MARKET_DATA_LAYOUTS,
  MARKET_STATUS_BYTES,
  MessageType,
  TRADE_BYTES,
  UPDATE_BASE,
} from "../../protocol/index.ts";

describe("sizes derived from the layouts are the documented ones", () => {
  test("entries, list bases and fixed messages", () => {
    expect({ L2_LEVEL_BYTES, L2_CHANGE_BYTES, L3_ORDER_BYTES, L3_CHANGE_BYTES, TRADE_BYTES }).toEqual({
      L2_LEVEL_BYTES: 20, L2_CHANGE_BYTES: 21, L3_ORDER_BYTES: 25, L3_CHANGE_BYTES: 26, TRADE_BYTES: 25,
    });
    expect({ L2_SNAPSHOT_BASE, L3_SNAPSHOT_BASE, UPDATE_BASE, BBO_BYTES, CANDLE_BYTES, MARKET_STATUS_BYTES }).toEqual({
      L2_SNAPSHOT_BASE: 30, L3_SNAPSHOT_BASE: 26, UPDATE_BASE: 24, BBO_BYTES: 54, CANDLE_BYTES: 76, MARKET_STATUS_BYTES: 33,
    });
  });
});

describe("typed errors", () => {
  const w = new FrameWriter();
  const order = {
    type: MessageType.NEW_ORDER, requestId: 1, symbol: 1, side: 0, orderType: 0, tif: 0, stp: 0, flags: 0,
    price: 1, stopPrice: 0, qty: 1, expireTime: 0, clientOrderId: "",
  } as const;

  test("an encoder refusing a value throws a FieldRangeError (a RangeError) that names the field", () => {
    let caught: unknown;
    try {
      encodeNewOrder(w, { ...order, qty: 1.5 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(FieldRangeError);
    expect(caught).toBeInstanceOf(RangeError);
    const e = caught as FieldRangeError;
    expect({ name: e.name, field: e.field }).toEqual({ name: "FieldRangeError", field: "qty" });
    expect(() => encodeNewOrder(w, { ...order, side: 2 })).toThrow(expect.objectContaining({ name: "FieldRangeError", field: "side" }));
  });

  test("a list builder used out of order throws a BuilderStateError", () => {
    expect(() => endL2Update(new FrameWriter())).toThrow(expect.objectContaining({ name: "BuilderStateError" }));
    expect(() => addL2Bid(new FrameWriter(), 1, 1, 1)).toThrow(BuilderStateError);
  });

  test("a layout the compiler cannot build is refused when it is compiled", () => {
    const twoStrings = { type: 0x30, family: "client" as const, fields: [str("a", 0, 4), str("b", 0, 4)] };
    expect(() => compileClientDecoder(twoStrings)).toThrow(LayoutDescriptionError);
    const variableEntries = { type: 0x88, family: "market" as const, fields: [{ name: "xs", kind: "list" as const, count: "u16" as const, item: "x", entry: [str("s", 0, 4)] }] };
    expect(() => compileListBuilder(variableEntries)).toThrow(expect.objectContaining({ name: "LayoutDescriptionError" }));
  });
});

describe("generated code", () => {
  test("has every offset as a constant in a fixed layout", () => {
    const src = String(compileEncoder({ type: 0x30, family: "client", fields: [u32("a"), nat("b")] }));
    expect(src).toContain("v.setUint32(6, a | 0, true)");
    expect(src).toContain("v.setFloat64(10, b, true)");
    expect(src).toContain("return 18;");
  });

  test("every market-data layout compiles", () => {
    expect(MARKET_DATA_LAYOUTS.length).toBe(8);
  });
});
