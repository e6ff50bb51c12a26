/**
 * The binary layouts of the core: one per message, shared by the rings and the journal, so a
 * command or an event has exactly one byte form wherever it travels (docs/layouts.md). No JSON and
 * no structured clone between stages.
 *
 * - Command slot, 256 bytes: actors/layout/command-layout.ts
 * - Event record, 128 bytes: actors/layout/event-layout.ts
 */
export {
  AMOUNT_MAX,
  AMOUNT_MIN,
  CLIENT_ORDER_ID_MAX,
  COMMAND_LAYOUT_VERSION,
  COMMAND_SLOT_BYTES,
  CommandOffset,
  DESTINATION_MAX,
  decodeCommand,
  encodeCommand,
  validateCommandSlot,
} from "./command-layout.ts";
export {
  EVENT_LAYOUT_VERSION,
  EVENT_RECORD_BYTES,
  EventOffset,
  decodeEvent,
  decodeEventInto,
  encodeEvent,
  encodeEvents,
  encodeEventsToBytes,
  encodeEventsToRing,
  validateEventRecord,
} from "./event-layout.ts";
