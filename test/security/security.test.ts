/**
 * `npm run test:security`: each finding of the review that attacked a running copy, as an attack against
 * the real product, paired with the same request made legitimately. The attacks of each area live in their
 * own module; this file runs them all and prints the closing figure.
 */
import { after } from "node:test";
import { securityFigure } from "./attack.ts";
import { registerFilesAttacks } from "./files-attacks.ts";
import { ingressAttacks } from "./ingress-attacks.ts";
import { registerLogsAttacks } from "./logs-attacks.ts";
import { slackInputAttacks } from "./slack-input-attacks.ts";

after(() => {
  process.stdout.write(`${securityFigure()}\n`);
});

registerFilesAttacks();
slackInputAttacks();
registerLogsAttacks();
ingressAttacks();
