import type { Certificate } from '../../runner/certificate';

/** An output format for certificates. */
export interface Reporter {
  /** What `--reporter` calls it. */
  name: string;
  description: string;
  /** The file it writes in an output directory. */
  file: string;
  /** Renders one certificate, or several side by side where the format allows. */
  render(certificates: readonly Certificate[]): string;
}
