/** fast-check arbitraries for commands: any value the 256-byte command layout can carry. */
import fc from "fast-check";
import { AMOUNT_MAX, AMOUNT_MIN, CLIENT_ORDER_ID_MAX, DESTINATION_MAX } from "../../actors/layout/schema.ts";
import { ALL_SYMBOLS, type Command, CommandType, makeCommand } from "../../engine/commands.ts";

const MAX = Number.MAX_SAFE_INTEGER;
const MIN = Number.MIN_SAFE_INTEGER;

export const safeInt = fc.oneof(fc.constantFrom(0, 1, -1, MAX, MIN), fc.maxSafeInteger(), fc.nat(1_000_000));
export const u8 = fc.integer({ min: 0, max: 0xff });
export const asciiString = (max: number) =>
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });

export const commandArb: fc.Arbitrary<Command> = fc
  .record({
    type: fc.oneof(fc.constantFrom(...Object.values(CommandType)), fc.integer({ min: 0, max: 0xffff })),
    time: safeInt,
    orderId: safeInt,
    account: safeInt,
    symbol: fc.oneof(fc.constant(ALL_SYMBOLS), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
    side: u8,
    orderType: u8,
    tif: u8,
    price: safeInt,
    stopPrice: safeInt,
    qty: safeInt,
    stp: u8,
    flags: u8,
    expireTime: safeInt,
    clientOrderId: asciiString(CLIENT_ORDER_ID_MAX),
    actor: u8,
    session: safeInt,
    currency: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    amount: fc.oneof(fc.bigInt({ min: AMOUNT_MIN, max: AMOUNT_MAX }), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.constantFrom(AMOUNT_MIN, AMOUNT_MAX, 0n)),
    tier: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    destination: asciiString(DESTINATION_MAX),
  })
  .map((init) => makeCommand(init));

