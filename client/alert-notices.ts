import { type Alert, ALERT_RULES, ALERT_SEVERITIES } from "../protocol/index.ts";

/** A transaction monitoring alert as `client.alerts()` yields it (docs/monitoring.md). */
export interface AlertNotice {
  /** The rule's name, e.g. "REJECT_BURST"; "RULE_<n>" for a number this SDK does not know. */
  rule: string;
  ruleId: number;
  account: number;
  /** The journal seq of the command that raised it; with rule and account, the alert's id. */
  commandSeq: number;
  /** `GET /api/v1/alerts`'s id of it: "commandSeq.rule.account". */
  id: string;
  /** Engine time of that command, µs since the epoch. */
  time: number;
  severity: "low" | "medium" | "high";
  text: string;
}

export function alertNotice(m: Alert): AlertNotice {
  return {
    rule: ALERT_RULES[m.rule] ?? `RULE_${m.rule}`,
    ruleId: m.rule,
    account: m.account,
    commandSeq: m.commandSeq,
    id: `${m.commandSeq}.${m.rule}.${m.account}`,
    time: m.time,
    severity: ALERT_SEVERITIES[m.severity] ?? "low",
    text: m.text,
  };
}
