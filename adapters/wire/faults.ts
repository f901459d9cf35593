/** Server-side fault injection: which method answers how, on which of its calls. */

export const METHODS = [
  'RemoteActivation',
  'RemoteCreateInstance',
  'SimplePing',
  'ComplexPing',
  'ServerAlive2',
  'RemQueryInterface',
  'RemAddRef',
  'RemRelease',
  'Add',
] as const;
export type MethodName = (typeof METHODS)[number];

export type FaultEffect =
  /** Answer with a fault PDU carrying `status` (default RPC_S_CALL_FAILED). */
  | { kind: 'fault'; status?: number }
  /** Never answer. */
  | { kind: 'drop' }
  /** Answer after `ms` of virtual time. */
  | { kind: 'delay'; ms: number };

export interface FaultRule {
  method: MethodName;
  effect: FaultEffect;
  /** 1-based occurrence of the method the rule hits; absent: every occurrence. */
  nth?: number;
  /** One-shot rules disarm after their first hit (what "fault the next X" means). */
  once?: boolean;
}

/** nca_s_fault_... is not what DCOM servers send for application failures; HRESULTs are. */
export const DEFAULT_FAULT_STATUS = 0x800706be; // RPC_S_CALL_FAILED

export class FaultPlan {
  private rules: FaultRule[];
  private counts = new Map<MethodName, number>();

  constructor(rules: readonly FaultRule[] = []) {
    this.rules = [...rules];
  }

  add(rule: FaultRule): void {
    this.rules.push(rule);
  }

  /** Counts this call of `method` and returns the effect that applies to it, if any. */
  hit(method: MethodName): FaultEffect | null {
    const n = (this.counts.get(method) ?? 0) + 1;
    this.counts.set(method, n);
    const i = this.rules.findIndex((r) => r.method === method && (r.nth === undefined || r.nth === n));
    if (i < 0) return null;
    const rule = this.rules[i];
    if (rule.once) this.rules.splice(i, 1);
    return rule.effect;
  }
}
