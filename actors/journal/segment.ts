/**
 * Journal segments on disk: their file names and the journal's corruption error. A segment is a
 * file of records in the format of storage/record-file.ts; the recovery rules are specified in
 * docs/journal.md, and `actors/journal/journal.ts` is the writer.
 */

/** The sparse seq → offset index keeps one entry per this many bytes of segment (see `read`). */
export const INDEX_STRIDE = 1 << 20;

const NAME = /^journal-(\d{20})\.seg$/;

export function segmentName(firstSeq: number): string {
  return `journal-${String(firstSeq).padStart(20, "0")}.seg`;
}

/** The first seq a segment file name declares, or -1 when the name is not a segment's. */
export function parseSegmentName(name: string): number {
  const m = NAME.exec(name);
  if (!m) return -1;
  const seq = Number(m[1]);
  return Number.isSafeInteger(seq) && seq >= 1 ? seq : -1;
}

export class JournalCorruptError extends Error {
  override name = "JournalCorruptError";
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`journal corrupt: ${file} at byte ${offset}: ${detail}`);
  }
}

