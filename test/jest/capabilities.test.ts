/**
 * The capabilities a built-in factory declares (which decide what describeConformance skips)
 * are those its adapter reports. Wine's driver is checked in test/wine, where Wine runs.
 */
import { BUILTIN_ADAPTERS } from '../../index';

const sorted = (xs: readonly string[]) => [...xs].sort();

test.each(BUILTIN_ADAPTERS.filter((f) => f.name !== 'wine').map((f) => [f.name, f] as const))('%s declares what its adapter reports', async (_name, factory) => {
  expect(factory.capabilities).toBeDefined();
  const adapter = await factory.create();
  try {
    expect(sorted(factory.capabilities!.actions)).toEqual(sorted(adapter.capabilities.actions));
    expect(sorted(factory.capabilities!.observes)).toEqual(sorted(adapter.capabilities.observes));
  } finally {
    await adapter.close();
  }
});
