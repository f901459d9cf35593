import type { Reporter } from './types';

/** The certificate itself, indented for reading and diffing; the hash covers its canonical form. */
export const jsonReporter: Reporter = {
  name: 'json',
  description: 'the certificate: verdicts, coverage, counterexamples with replay data, SHA-256',
  file: 'certificate.json',
  render(certificates) {
    if (certificates.length !== 1) throw new Error('the json reporter writes one certificate at a time');
    return JSON.stringify(certificates[0], null, 2) + '\n';
  },
};
