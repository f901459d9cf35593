/** The environment a run starts in: machines, their access permissions, protocols and trust. */

export const CLIENT_MACHINES = ['client1', 'client2'] as const;
export type ClientMachine = (typeof CLIENT_MACHINES)[number];
export const SERVER_MACHINE = 'server' as const;
export type MachineId = ClientMachine | typeof SERVER_MACHINE;
export const MACHINES: readonly MachineId[] = [...CLIENT_MACHINES, SERVER_MACHINE];

export const PRINCIPALS = ['SYSTEM', 'INTERACTIVE', 'Everyone', 'Administrators'] as const;
export type Principal = (typeof PRINCIPALS)[number];

/**
 * HKLM\Software\Microsoft\Ole\DefaultAccessPermission of a machine. Absent: only the
 * server's own principal and SYSTEM may call (DefaultAccessPermission doc). Empty: the
 * launching user and SYSTEM (Q255890). A list: who it allows, minus who it denies.
 */
export type AccessPermission =
  | { kind: 'absent' }
  | { kind: 'empty' }
  | { kind: 'list'; allow: Principal[]; deny: Principal[] };

/** NT4 shipped "DCOM Protocols" with ncadg_ip_udp first (Q224460); Windows 2000 uses TCP only. */
export const PROTOCOL_ORDERS = ['udp-first', 'tcp-only'] as const;
export type ProtocolOrder = (typeof PROTOCOL_ORDERS)[number];
export type Transport = 'udp' | 'tcp';

/** Trust between a client machine's domain and the server's (Q184278). */
export const DOMAIN_TRUSTS = ['same', 'trusted', 'untrusted'] as const;
export type DomainTrust = (typeof DOMAIN_TRUSTS)[number];

export interface MachineConfig {
  access: AccessPermission;
  protocols: ProtocolOrder;
  /** Trust towards the server machine's domain; the server's own entry is always 'same'. */
  trust: DomainTrust;
}

export interface World {
  machines: Record<MachineId, MachineConfig>;
}

export function defaultWorld(): World {
  const machine = (): MachineConfig => ({ access: { kind: 'absent' }, protocols: 'tcp-only', trust: 'same' });
  return { machines: { client1: machine(), client2: machine(), server: machine() } };
}

/** A deep copy; cheaper than structuredClone on the hot path of every run. */
export function cloneWorld(world: World): World {
  const copy = (c: MachineConfig): MachineConfig => ({
    access: c.access.kind === 'list' ? { kind: 'list', allow: [...c.access.allow], deny: [...c.access.deny] } : c.access,
    protocols: c.protocols,
    trust: c.trust,
  });
  const m = world.machines;
  return { machines: { client1: copy(m.client1), client2: copy(m.client2), server: copy(m.server) } };
}

function grants(list: Principal[], who: Principal): boolean {
  return list.includes(who) || list.includes('Everyone');
}

/** Whether SYSTEM may call into processes on a machine with this permission (Q255890). */
export function systemAdmitted(access: AccessPermission): boolean {
  switch (access.kind) {
    case 'absent':
    case 'empty':
      return true;
    case 'list':
      return grants(access.allow, 'SYSTEM') && !grants(access.deny, 'SYSTEM');
  }
}

/** The transport DCOM ends up on between two machines: UDP only when both list it first. */
export function transportBetween(a: MachineConfig, b: MachineConfig): Transport {
  return a.protocols === 'udp-first' && b.protocols === 'udp-first' ? 'udp' : 'tcp';
}

export function describeAccess(access: AccessPermission): string {
  switch (access.kind) {
    case 'absent':
      return 'absent';
    case 'empty':
      return 'empty list';
    case 'list': {
      const parts = [...access.allow.map((p) => `allow ${p}`), ...access.deny.map((p) => `deny ${p}`)];
      return parts.length ? parts.join(', ') : 'list allowing nobody';
    }
  }
}
