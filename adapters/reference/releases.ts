/**
 * The Windows NT 4.0 releases the seed KB articles describe, as switches over the reference
 * world. Each switch cites the article that documents it.
 */
import { CORRECT, type Behaviour } from './behaviour';

export interface Release {
  name: string;
  summary: string;
  behaviour: Behaviour;
}

export const NT4_RELEASES: readonly Release[] = [
  {
    name: 'nt4-sp3',
    summary: 'NT4 SP3: Q184278 (untrusted-domain disconnect), Q224837 (pings forever, early cleanup) and Q255890 present',
    behaviour: { ...CORRECT, q184278: true, q224837: true, q255890: true },
  },
  {
    name: 'nt4-sp5',
    summary: 'NT4 SP5: Q184278 fixed in SP4; Q224837 and Q255890 present',
    behaviour: { ...CORRECT, q224837: true, q255890: true },
  },
  {
    name: 'nt4-sp6',
    summary: 'NT4 SP6: Q224837 fixed; Q255890 remains (by design on NT4)',
    behaviour: { ...CORRECT, q255890: true },
  },
];
