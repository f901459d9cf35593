import type { Certificate } from '../../runner/certificate';
import type { ReportTimings } from '../timing';

/** An output format for certificates. */
export interface Reporter {
  /** What `--reporter` calls it. */
  name: string;
  description: string;
  /** The file it writes in an output directory. */
  file: string;
  /**
   * Renders one certificate, or several side by side where the format allows; `timings`, when
   * the campaigns were just run, says where their wall-clock time went.
   */
  render(certificates: readonly Certificate[], timings?: ReportTimings): string;
}
