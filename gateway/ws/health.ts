import type { Sequencer } from "../../actors/sequencer.ts";

/** The history writer's state as readiness reads it (history/writer-host.ts); null: this exchange runs without history. */
export type HistoryState = "starting" | "running" | "down" | "failed" | "stopped" | null;

/**
 * What /health and /ready answer (README: Health, readiness; docs/runbook.md), in the codes load
 * balancers and orchestrators act on: 200 yes, 503 no, with a JSON body saying why.
 *
 * /health — liveness: the process is alive and its engine running. 503 only once the engine has
 * stopped (a failed fdatasync, an engine bug), which no waiting cures: restart it.
 *
 * /ready — readiness: it accepts orders now. Recovered (the door exists only after recovery), the
 * journal writable (the engine not stopped), not in a graceful stop, and the history writer alive
 * when the exchange has one: a writer that has failed (it needs `bourse history rebuild`) makes
 * the exchange not ready, so an operator's orchestrator sees it; a writer that is alive but whose
 * database is unreachable (`down`) stays ready — it catches up by itself, and trading never
 * waits on history. Each check is in the body. A standby pair will add "leader" here.
 */
export class Availability {
  private reason: string | null = null;
  private closing = false;

  constructor(
    private readonly sequencer: Sequencer,
    private readonly history: () => HistoryState = () => null,
  ) {
    sequencer.onStop((e) => {
      this.reason = e.message;
    });
  }

  /** A clean shutdown has begun: no longer ready, still healthy. */
  shuttingDown(): void {
    this.closing = true;
  }

  get stopped(): boolean {
    return this.reason !== null || this.sequencer.stopped;
  }

  /** The engine's state as the REST door's /status tells it (docs/rest.md). */
  state(): { state: "running" | "closing" | "stopped"; reason?: string; seq: number } {
    const seq = this.sequencer.lastSeq;
    if (this.stopped) return { state: "stopped", reason: this.reason ?? "the engine stopped", seq };
    return { state: this.closing ? "closing" : "running", seq };
  }

  health(): Response {
    const seq = this.sequencer.lastSeq;
    if (this.stopped) return Response.json({ status: "stopped", reason: this.reason ?? "the engine stopped", seq }, { status: 503 });
    return Response.json({ status: "ok", seq });
  }

  ready(): Response {
    const seq = this.sequencer.lastSeq;
    const history = this.history();
    const checks = { engine: this.stopped ? "stopped" : "running", journal: this.stopped ? "failed" : "writable", history: history ?? "none" };
    if (this.stopped) return Response.json({ status: "stopped", reason: this.reason ?? "the engine stopped", seq, checks }, { status: 503 });
    if (this.closing) return Response.json({ status: "closing", seq, checks }, { status: 503 });
    if (history === "failed" || history === "stopped") {
      return Response.json({ status: "not ready", reason: `the history writer has ${history}: repair the store with bourse history rebuild, then restart`, seq, checks }, { status: 503 });
    }
    return Response.json({ status: "ready", seq, checks });
  }
}
