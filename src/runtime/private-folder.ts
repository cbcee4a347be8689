/**
 * The data folder holds what people write (Restate's state and journals), the request identity key and
 * the server's log, so only its owner may enter it: it is created 0700, and a folder of ours that is open
 * to others is tightened to 0700 (the caller says so). A folder that belongs to someone else is not ours to
 * change: start-up stops. It touches nothing inside the folder.
 */
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { StartupError } from "../errors.ts";

export const PRIVATE_FOLDER_MODE = 0o700;

/** What `ensurePrivateFolder` did: `tightenedFrom` is the mode the folder had when others could use it. */
export interface PrivateFolder {
  readonly path: string;
  readonly tightenedFrom: number | null;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** Creates `path` 0700 (with any missing parents), or tightens it to 0700 when it is ours and open to others. */
export function ensurePrivateFolder(path: string): PrivateFolder {
  try {
    // mkdir's mode only narrows further under the umask, so a new folder is never wider than 0700.
    mkdirSync(path, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  } catch (error) {
    throw new StartupError(
      `Cannot make the data folder ${path} (RESTATE_DATA_DIR): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const stats = statSync(path);
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) === 0) return { path, tightenedFrom: null };
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new StartupError(
      `The data folder ${path} (RESTATE_DATA_DIR) is open to other users (mode ${octal(mode)}) and belongs to ` +
        "another user, so it cannot be made private. It would hold what people write: choose a folder of your own.",
    );
  }
  chmodSync(path, PRIVATE_FOLDER_MODE);
  return { path, tightenedFrom: mode };
}

/** The warning for a folder `ensurePrivateFolder` tightened. */
export function tightenedMessage(folder: PrivateFolder): string {
  return (
    `The data folder ${folder.path} was open to other users (mode ${octal(folder.tightenedFrom ?? 0)}); ` +
    "it is now 0700, because it holds what people write"
  );
}
