/**
 * Requests Slack never sends (or an attacker might): unsigned, forged, stale or tampered signatures;
 * malformed JSON and forms; wrong content types; oversized bodies; unknown event types; events with
 * fields missing; huge and odd Unicode. Generated from a seed, so a failing run can be repeated.
 */
import { seededRandom } from "../../src/slack-emulator/emulator.ts";

export interface BadRequest {
  readonly kind: string;
  readonly body: string;
  readonly contentType: string;
  /** How to sign: correctly, not at all, with the wrong secret, long ago, or for another body. */
  readonly signing: "valid" | "unsigned" | "forged" | "stale" | "tampered";
}

const ODD_TEXTS = [
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🧪🔥 \u202eesrever\u202c \u200b\u200c\u200d zero width",
  "\u0000 NUL and \u0007 bell and \ud800 a lone surrogate",
  "ﷺ ﷽ ꧅ 𒐫 ⸻ combining: e\u0301\u0301\u0301\u0301",
  "<@U0AGENT01|nested <@U0AGENT01>> <!channel> <!here> <#C0GENERAL|general>",
];

export function generateBadRequests(count: number, seed: number, teamId: string): BadRequest[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const ts = () =>
    `${1_700_000_000 + Math.floor(random() * 100_000_000)}.${String(Math.floor(random() * 1e6)).padStart(6, "0")}`;
  const envelope = (event: unknown) =>
    JSON.stringify({
      type: "event_callback",
      team_id: teamId,
      api_app_id: "A0AGENT01",
      event,
      event_id: `EvBAD${Math.floor(random() * 1e9)}`,
    });
  // Without mentions of the bot: a signed reply that mentions it would be a real message, and start a session.
  const huge = (length: number) =>
    pick(ODD_TEXTS)
      .replaceAll("<@U0AGENT01", "<@U0NOBODY1")
      .repeat(Math.ceil(length / 40))
      .slice(0, length);

  const makers: (() => BadRequest)[] = [
    () => ({
      kind: "unsigned event",
      body: envelope({
        type: "app_mention",
        user: "U0ALICE01",
        text: "<@U0AGENT01> hi",
        ts: ts(),
        channel: "C0GENERAL",
      }),
      contentType: "application/json",
      signing: "unsigned",
    }),
    () => ({
      kind: "forged signature",
      body: envelope({
        type: "app_mention",
        user: "U0ALICE01",
        text: "<@U0AGENT01> hi",
        ts: ts(),
        channel: "C0GENERAL",
      }),
      contentType: "application/json",
      signing: "forged",
    }),
    () => ({
      kind: "stale signature",
      body: envelope({
        type: "app_mention",
        user: "U0ALICE01",
        text: "<@U0AGENT01> hi",
        ts: ts(),
        channel: "C0GENERAL",
      }),
      contentType: "application/json",
      signing: "stale",
    }),
    () => ({
      kind: "tampered body",
      body: envelope({
        type: "app_mention",
        user: "U0ALICE01",
        text: "<@U0AGENT01> hi",
        ts: ts(),
        channel: "C0GENERAL",
      }),
      contentType: "application/json",
      signing: "tampered",
    }),
    () => ({
      kind: "malformed JSON",
      body: pick(["{not json", '{"type": "event_callback", "event": {', "[1,2", '"just a string', "{}}"]),
      contentType: "application/json",
      signing: "valid",
    }),
    () => ({
      kind: "malformed form",
      body: pick(["payload=%7Bnot-json", "payload=", "command=%2Fagentmode&text=%ZZ", "%%%", "a=b&&&=="]),
      contentType: "application/x-www-form-urlencoded",
      signing: "valid",
    }),
    // A body in another encoding than its content type says (a JSON mention declared as a form, a form
    // declared as JSON), or an odd content type on an event that is no message. (Bolt reads any body it does
    // not take for a form as JSON: a signed, well-formed mention is a real message whatever its content type.)
    () => {
      const mention = envelope({
        type: "app_mention",
        user: "U0ALICE01",
        text: "<@U0AGENT01> hi",
        ts: ts(),
        channel: "C0GENERAL",
      });
      return pick([
        {
          kind: "wrong content type",
          body: mention,
          contentType: "application/x-www-form-urlencoded",
          signing: "valid" as const,
        },
        {
          kind: "wrong content type",
          body: `payload=${encodeURIComponent(JSON.stringify({ type: "block_actions", actions: [] }))}`,
          contentType: "application/json",
          signing: "valid" as const,
        },
        {
          kind: "wrong content type",
          body: envelope({ type: "no_such_event", user: "U0ALICE01" }),
          contentType: pick([
            "text/plain",
            "application/xml",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
          ]),
          signing: "valid" as const,
        },
      ]);
    },
    () => ({
      kind: "oversized body",
      body: `{"type":"event_callback","event":{"type":"message","text":"${"x".repeat(4.5 * 1024 * 1024)}"}}`,
      contentType: "application/json",
      signing: "valid",
    }),
    () => ({
      kind: "unknown event type",
      body: envelope({
        type: pick(["reaction_added", "channel_created", "tokens_revoked", "no_such_event", ""]),
        user: "U0ALICE01",
        ts: ts(),
      }),
      contentType: "application/json",
      signing: "valid",
    }),
    () => ({
      kind: "missing fields",
      body: pick([
        envelope({ type: "message" }),
        envelope({ type: "app_mention", text: "<@U0AGENT01> who am I" }),
        envelope(null),
        JSON.stringify({ type: "event_callback" }),
        JSON.stringify({}),
      ]),
      contentType: "application/json",
      signing: "valid",
    }),
    () => ({
      kind: "odd Unicode in a thread without a session",
      body: envelope({
        type: "message",
        user: "U0BOB0002",
        text: huge(pick([10, 500, 45_000, 150_000])),
        ts: ts(),
        thread_ts: ts(),
        channel: "C0GENERAL",
        channel_type: "channel",
      }),
      contentType: "application/json",
      signing: "valid",
    }),
    () => ({
      kind: "odd Unicode from a bot",
      body: envelope({
        type: "message",
        subtype: "bot_message",
        bot_id: "B0OTHER01",
        text: huge(2000),
        ts: ts(),
        channel: "C0GENERAL",
      }),
      contentType: "application/json",
      signing: "valid",
    }),
    () => ({
      kind: "unknown interaction",
      body: `payload=${encodeURIComponent(JSON.stringify({ type: pick(["block_actions", "block_suggestion", "view_closed"]), user: { id: "U0ALICE01" }, team: { id: teamId }, actions: [{ action_id: "no_such_action", type: "button" }] }))}`,
      contentType: "application/x-www-form-urlencoded",
      signing: "valid",
    }),
    () => ({
      kind: "url verification",
      body: JSON.stringify({
        type: "url_verification",
        challenge: `c${Math.floor(random() * 1e9)}`,
        token: "x",
      }),
      contentType: "application/json",
      signing: "valid",
    }),
  ];
  return Array.from({ length: count }, (_, i) => {
    // Oversized bodies are costly: keep them rare.
    const maker = i % 50 === 0 ? makers[7] : pick(makers.filter((_, index) => index !== 7));
    return (
      maker ??
      makers[0] ??
      (() => {
        throw new Error("no maker");
      })
    )();
  });
}
