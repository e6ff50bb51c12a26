import { OperatorError } from "../actors/operator-error.ts";

/**
 * What an operator must know about a backup or a restore, in one line (what, where, what to do):
 * the CLI prints it as it is (`bourse: <message>`, exit 1). Nothing a refusal names was changed.
 */
export class BackupError extends OperatorError {
  override name = "BackupError";
}

/** Later journal segments do not follow the backup (or each other): commands between are in neither. */
export class JournalGap extends BackupError {
  override name = "JournalGap";
  constructor(
    readonly afterSeq: number,
    readonly nextSeq: number,
    where: string,
  ) {
    super(
      `the journal has a gap: ${where} ends at seq ${afterSeq} and the next segment starts at seq ${nextSeq}, so commands ${afterSeq + 1}–${nextSeq - 1} are in neither; ` +
        `nothing was restored: find the segments that hold them, or restore without --journal (to the backup's seq)`,
    );
  }
}
