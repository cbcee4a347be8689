/**
 * The key the Slack adapter signs its requests to the ingress with, and our services check them with
 * (src/restate/caller.ts). `ADAPTER_KEY` when given; otherwise made once in the data folder beside the
 * request identity key (`adapter-key`, mode 0600) and reused, so that invocations Restate replays after a
 * restart still verify. A process that runs only one side must be given `ADAPTER_KEY`.
 */
import { ensureSecretFile, SECRET_MIN_LENGTH } from "./secret-file.ts";

/** Shortest key accepted (`ADAPTER_KEY`): 32 characters. */
export const ADAPTER_KEY_MIN_LENGTH = SECRET_MIN_LENGTH;

/** The adapter key stored in `dataDir`, made (256 random bits, hex) the first time. */
export function ensureAdapterKey(dataDir: string): { key: string; path: string } {
  return ensureSecretFile(dataDir, "adapter-key", "adapter key");
}
