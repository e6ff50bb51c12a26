import type { Sequencer } from "../../actors/sequencer.ts";

/**
 * What /health and /ready answer (README: HTTP). /health: the process is alive and its engine
 * running — 200, or 503 once the engine has stopped, so a supervisor or load balancer that only
 * looks at the status code sees the failure. /ready: it accepts orders — recovered (the door only
 * exists after recovery), the journal writable and not shutting down — 200, else 503.
 */
export class Availability {
  private reason: string | null = null;
  private closing = false;

  constructor(private readonly sequencer: Sequencer) {
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
    if (this.stopped) return Response.json({ status: "stopped", reason: this.reason ?? "the engine stopped", seq }, { status: 503 });
    if (this.closing) return Response.json({ status: "closing", seq }, { status: 503 });
    return Response.json({ status: "ready", seq });
  }
}
