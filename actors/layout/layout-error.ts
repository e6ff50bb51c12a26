/**
 * Bytes that do not fit the record layout they are read with: a journaled command too short for
 * its own fields, or the layout's constants disagreeing with each other. Either the file was
 * written by other code or the layout was changed without its version: not the operator's input.
 * (A command that cannot be encoded is a CommandLayoutError, naming its field.)
 */
export class LayoutError extends Error {
  override name = "LayoutError";
}
